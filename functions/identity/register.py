"""POST /auth/register — create an account: 201 {userId, email, name}; 409 if the email is taken."""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit

from commerce.api import correlation_id, http_handler, json_response, make_resolver
from commerce.observability import logger, metrics, tracer
from commerce.openapi import json_response_doc, problem_responses
from identity.models import RegisteredUser, RegisterRequest
from identity.wiring import accounts

app = make_resolver()


@app.post(
    "/auth/register",
    summary="Register an account",
    tags=["auth"],
    responses={
        201: json_response_doc("The new account", RegisteredUser),
        **problem_responses(
            409,
            422,
            descriptions={
                409: "An account with this email (case-insensitively) already exists",
                422: "E.g. a password under 10 characters, an invalid email, a name over 100 characters",
            },
        ),
    },
)
@tracer.capture_method
def register(body: RegisterRequest) -> Response[str]:
    account = accounts().register(body.email, body.password, body.name, correlation_id=correlation_id(app))
    metrics.add_metric(name="UsersRegistered", unit=MetricUnit.Count, value=1)
    logger.info("user registered", extra={"user_id": account.user_id})
    return json_response(201, {"userId": account.user_id, "email": account.email, "name": account.name})


lambda_handler = http_handler(app)
