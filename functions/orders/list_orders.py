"""GET /orders — the caller's orders, newest first, one page per Query on gsi1 (never a Scan)."""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from commerce.api import CursorQuery, current_caller, http_handler, json_response, make_resolver
from commerce.observability import tracer
from commerce.openapi import BEARER, json_response_doc, problem_responses
from orders.models import OrderPage
from orders.wiring import orders

app = make_resolver()


@app.get(
    "/orders",
    summary="List my orders",
    tags=["orders"],
    security=BEARER,
    responses={
        200: json_response_doc("A page of orders, newest first", OrderPage),
        **problem_responses(
            400, descriptions={400: "An invalid cursor (not a nextCursor this API gave you, or changed)"}
        ),
    },
)
@tracer.capture_method
def list_orders(
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
    cursor: CursorQuery = None,
) -> Response[Any]:
    return json_response(200, orders().list_orders(current_caller(app).user_id, limit, cursor))


lambda_handler = http_handler(app)
