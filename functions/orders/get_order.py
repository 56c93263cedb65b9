"""GET /orders/{orderId} — the owner's or an admin's view of one order; anyone else gets 404."""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from commerce.api import current_caller, http_handler, json_response, make_resolver
from commerce.observability import tracer
from commerce.openapi import BEARER, json_response_doc, problem_responses
from orders.models import Order
from orders.wiring import orders

app = make_resolver()


@app.get(
    "/orders/<orderId>",
    summary="Get an order",
    tags=["orders"],
    security=BEARER,
    responses={
        200: json_response_doc("The order", Order),
        **problem_responses(404, descriptions={404: "No such order (or not yours)"}),
    },
)
@tracer.capture_method
def get_order(orderId: Annotated[str, Path(min_length=1, max_length=128)]) -> Response[Any]:
    caller = current_caller(app)
    return json_response(200, orders().get_order(orderId, user_id=caller.user_id, is_admin=caller.is_admin))


lambda_handler = http_handler(app)
