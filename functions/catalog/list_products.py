"""GET /products — the public product list, oldest first, one page at a time (Query on gsi1)."""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from catalog.caching import cacheable_response
from catalog.models import ProductPage
from catalog.wiring import catalog
from commerce.api import CursorQuery, http_handler, make_resolver
from commerce.observability import tracer
from commerce.openapi import json_response_doc, problem_responses

app = make_resolver()


@app.get(
    "/products",
    summary="List products",
    tags=["catalog"],
    responses={
        200: json_response_doc("A page of products (ETag, Cache-Control: public, max-age=30)", ProductPage),
        304: {"description": "Not modified (If-None-Match matched the ETag)"},
        **problem_responses(
            400, descriptions={400: "An invalid cursor (not a nextCursor this API gave you, or changed)"}
        ),
    },
)
@tracer.capture_method
def list_products(
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
    cursor: CursorQuery = None,
) -> Response[Any]:
    return cacheable_response(app, catalog().list_products(limit, cursor))


lambda_handler = http_handler(app)
