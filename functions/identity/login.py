"""POST /auth/login — email + password → {accessToken, refreshToken, tokenType, expiresIn}.

A wrong password and an unknown email get the same 401; 5 failures for one email within a
15-minute window → 429 with Retry-After (counted in DynamoDB, so every instance sees them).
"""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit

from commerce.api import http_handler, json_response, make_resolver, problem_for
from commerce.errors import DomainError
from commerce.observability import logger, metrics, tracer
from commerce.openapi import json_response_doc, problem_responses
from identity.models import LoginRequest, TokenPair
from identity.wiring import accounts

app = make_resolver()


@app.post(
    "/auth/login",
    summary="Log in",
    tags=["auth"],
    responses={
        200: json_response_doc("An access and refresh token pair (Cache-Control: no-store)", TokenPair),
        **problem_responses(
            401,
            429,
            descriptions={
                401: "Wrong password or unknown email (the same answer for both)",
                429: "5 failed logins for this email within 15 minutes; see Retry-After",
            },
        ),
    },
)
@tracer.capture_method
def login(body: LoginRequest) -> Response[str]:
    try:
        pair = accounts().login(body.email, body.password)
    except DomainError as refused:
        metrics.add_metric(name="LoginsRefused", unit=MetricUnit.Count, value=1)
        logger.info("login refused", extra={"status": problem_for(refused).status})
        raise
    metrics.add_metric(name="Logins", unit=MetricUnit.Count, value=1)
    return json_response(200, pair.body(), headers={"Cache-Control": "no-store"})


lambda_handler = http_handler(app)
