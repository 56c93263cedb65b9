"""POST /orders — place an order: idempotent per (user, Idempotency-Key), priced from the catalog,
written with its idempotency record and OrderPlaced outbox entry in one transaction. 202 PENDING."""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.api import correlation_id, current_identity, json_response, make_resolver
from commerce.observability import logger, metrics, tracer
from commerce.openapi import BEARER, json_response_doc
from orders.models import Order, PlaceOrderRequest, problem_responses
from orders.service import place_order as place

app = make_resolver()


@app.post(
    "/orders",
    summary="Place an order",
    tags=["orders"],
    security=BEARER,
    responses={
        202: json_response_doc(
            "The order (PENDING); the same order again for a replayed key and body", Order
        ),
        **problem_responses(400, 401, 409, 413, 415, 422),
    },
)
@tracer.capture_method
def place_order(
    body: PlaceOrderRequest,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Required. 1-128 printable characters; one key, one order (kept 24 h).",
        ),
    ] = None,
) -> Response[Any]:
    identity = current_identity(app)
    key = app.current_event.headers.get("idempotency-key")
    placed = place(
        user_id=identity.user_id, idempotency_key=key, request=body, correlation_id=correlation_id(app)
    )
    if placed.replayed:
        metrics.add_metric(name="OrderReplays", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=1)
        logger.info("order placed", extra={"order_id": placed.order["orderId"], "lines": len(body.items)})
    headers = {"Location": f"/orders/{placed.order['orderId']}"}
    if placed.replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(202, placed.order, headers=headers)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
