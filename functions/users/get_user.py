"""GET /users/{userId} — any user's profile, for admins only (403 otherwise, 404 if unknown)."""

# No `from __future__ import annotations` here: Powertools' validation reads the route's
# annotations at runtime.

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.api import current_identity, make_resolver
from commerce.observability import logger, metrics, tracer
from users.domain import Profiles
from users.store import DynamoProfileStore

app = make_resolver()


@app.get("/users/<user_id>")
@tracer.capture_method
def get_user(user_id: str) -> dict[str, Any]:
    return Profiles(DynamoProfileStore.from_env()).of(current_identity(app), user_id)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
