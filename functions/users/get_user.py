"""GET /users/{userId} — any user's profile, for admins only (403 otherwise, 404 if unknown)."""

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
    "/users/<userId>",
    summary="A user's profile (admin)",
    tags=["users"],
    security=BEARER,
    responses={
        200: json_response_doc("The user's profile", Profile),
        **problem_responses(
            401, 403, 404, descriptions={403: "Authenticated but not an admin", 404: "No such user"}
        ),
    },
)
@tracer.capture_method
def get_user(userId: str) -> dict[str, Any]:
    return Profiles(DynamoProfileStore.from_env()).of(current_identity(app), userId)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
