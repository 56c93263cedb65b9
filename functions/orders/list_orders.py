"""GET /orders — the caller's orders, newest first, one page per Query on gsi1 (never a Scan)."""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.api import current_identity, json_response, make_resolver
from commerce.observability import logger, metrics, tracer
from commerce.openapi import BEARER, json_response_doc
from orders.models import OrderPage, problem_responses
from orders.service import list_orders as list_page

app = make_resolver()


@app.get(
    "/orders",
    summary="List my orders",
    tags=["orders"],
    security=BEARER,
    responses={
        200: json_response_doc("A page of orders, newest first", OrderPage),
        **problem_responses(400, 401, 422),
    },
)
@tracer.capture_method
def list_orders(
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
    cursor: Annotated[
        str | None, Query(max_length=2048, description="nextCursor of the previous page")
    ] = None,
) -> Response[Any]:
    identity = current_identity(app)
    return json_response(200, list_page(identity.user_id, limit, cursor))


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
