"""GET /orders/{orderId} — the owner's or an admin's view of one order; anyone else gets 404."""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.api import current_identity, json_response, make_resolver
from commerce.observability import logger, metrics, tracer
from commerce.openapi import BEARER, json_response_doc
from orders.models import Order, problem_responses
from orders.service import get_order as find_order

app = make_resolver()


@app.get(
    "/orders/<orderId>",
    summary="Get an order",
    tags=["orders"],
    security=BEARER,
    responses={200: json_response_doc("The order", Order), **problem_responses(401, 404, 422)},
)
@tracer.capture_method
def get_order(orderId: Annotated[str, Path(min_length=1, max_length=128)]) -> Response[Any]:
    identity = current_identity(app)
    return json_response(200, find_order(orderId, user_id=identity.user_id, is_admin=identity.is_admin))


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
