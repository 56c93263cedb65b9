"""GET /users/me — the caller's profile {userId, email, name, phone?, shippingAddress?, roles, createdAt}."""

# No `from __future__ import annotations` here: Powertools' validation reads the route's
# annotations at runtime.

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.api import current_identity, make_resolver
from commerce.observability import logger, metrics, tracer
from commerce.openapi import BEARER, json_response_doc, problem_responses
from users.domain import Profiles
from users.models import Profile
from users.store import DynamoProfileStore

app = make_resolver()


@app.get(
    "/users/me",
    summary="My profile",
    tags=["users"],
    security=BEARER,
    responses={
        200: json_response_doc("The caller's profile", Profile),
        **problem_responses(
            401, descriptions={401: "Missing, invalid or expired token, or the account no longer exists"}
        ),
    },
)
@tracer.capture_method
def get_me() -> dict[str, Any]:
    return Profiles(DynamoProfileStore.from_env()).mine(current_identity(app))


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
