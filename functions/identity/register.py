"""POST /auth/register — create an account: 201 {userId, email, name}; 409 if the email is taken."""

# No `from __future__ import annotations` here: Powertools reads the `Annotated[..., Body()]`
# parameter at runtime to validate the request body.

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.api import correlation_id, json_response, make_resolver
from commerce.observability import logger, metrics, tracer
from identity.domain import Identity
from identity.keys import encrypt_contact
from identity.models import RegisterRequest
from identity.store import DynamoIdentityStore

app = make_resolver()


@app.post("/auth/register")
@tracer.capture_method
def register(body: Annotated[RegisterRequest, Body()]) -> Response[str]:
    service = Identity(store=DynamoIdentityStore.from_env(), encrypt_contact=encrypt_contact)
    account = service.register(body.email, body.password, body.name, correlation_id=correlation_id(app))
    metrics.add_metric(name="UsersRegistered", unit=MetricUnit.Count, value=1)
    logger.info("user registered", extra={"user_id": account.user_id})
    return json_response(201, {"userId": account.user_id, "email": account.email, "name": account.name})


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
