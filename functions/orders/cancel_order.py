"""POST /orders/{orderId}/cancel — owner or admin; PENDING or CONFIRMED orders only (else 409).
A guarded transition with OrderCancelled in the same transaction; the saga releases stock and
refunds a captured payment."""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.metrics import MetricUnit

from commerce.api import correlation_id, current_caller, http_handler, json_response, make_resolver
from commerce.observability import metrics, tracer
from commerce.openapi import BEARER, json_response_doc, problem_responses
from orders.models import Order
from orders.wiring import orders

app = make_resolver()


@app.post(
    "/orders/<orderId>/cancel",
    summary="Cancel an order",
    tags=["orders"],
    security=BEARER,
    responses={
        200: json_response_doc("The cancelled order", Order),
        **problem_responses(
            404,
            409,
            descriptions={
                404: "No such order (or not yours)",
                409: "The order can no longer be cancelled (SHIPPED, REJECTED or CANCELLED)",
            },
        ),
    },
)
@tracer.capture_method
def cancel_order(orderId: Annotated[str, Path(min_length=1, max_length=128)]) -> Response[Any]:
    caller = current_caller(app)
    order = orders().cancel_order(
        orderId, user_id=caller.user_id, is_admin=caller.is_admin, correlation_id=correlation_id(app)
    )
    metrics.add_metric(name="OrdersCancelled", unit=MetricUnit.Count, value=1)
    return json_response(200, order)


lambda_handler = http_handler(app)
