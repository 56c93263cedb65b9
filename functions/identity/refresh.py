"""POST /auth/refresh — rotate a refresh token: the old one is spent, a new pair is issued.

Presenting a token that was already used revokes its whole family (401 from then on).
"""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.

from aws_lambda_powertools.event_handler import Response

from commerce.api import http_handler, json_response, make_resolver
from commerce.observability import tracer
from commerce.openapi import json_response_doc, problem_responses
from identity.models import RefreshRequest, TokenPair
from identity.wiring import accounts

app = make_resolver()


@app.post(
    "/auth/refresh",
    summary="Rotate a refresh token",
    tags=["auth"],
    responses={
        200: json_response_doc("A new token pair; the presented refresh token is spent", TokenPair),
        **problem_responses(
            401,
            descriptions={
                401: "Unknown, expired, revoked or already used refresh token (reuse revokes its family)"
            },
        ),
    },
)
@tracer.capture_method
def refresh(body: RefreshRequest) -> Response[str]:
    pair = accounts().refresh(body.refreshToken)
    return json_response(200, pair.body(), headers={"Cache-Control": "no-store"})


lambda_handler = http_handler(app)
