"""POST /orders — place an order: idempotent per (user, Idempotency-Key), priced from the catalog,
written with its idempotency record and OrderPlaced outbox entry in one transaction. 202 PENDING."""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.metrics import MetricUnit

from commerce.api import correlation_id, current_caller, http_handler, json_response, make_resolver
from commerce.observability import logger, metrics, tracer
from commerce.openapi import BEARER, json_response_doc, problem_responses
from orders.models import Order, PlaceOrderRequest
from orders.wiring import orders

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
        **problem_responses(
            400,
            409,
            422,
            descriptions={
                400: "A missing or invalid Idempotency-Key",
                409: "Another request with this Idempotency-Key is still being placed; retry",
                422: "An unknown product, mixed currencies, or the Idempotency-Key reused with another body",
            },
        ),
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
    placed = orders().place_order(
        user_id=current_caller(app).user_id,
        idempotency_key=idempotency_key,
        request=body,
        correlation_id=correlation_id(app),
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


lambda_handler = http_handler(app)
