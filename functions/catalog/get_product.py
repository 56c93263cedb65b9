"""GET /products/{productId} — one product, public and cacheable (one GetItem)."""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from catalog.caching import cacheable_response
from catalog.models import Product
from catalog.wiring import catalog
from commerce.api import http_handler, make_resolver
from commerce.observability import tracer
from commerce.openapi import json_response_doc, problem_responses

app = make_resolver()


@app.get(
    "/products/<productId>",
    summary="Get a product",
    tags=["catalog"],
    responses={
        200: json_response_doc("The product (ETag, Cache-Control: public, max-age=30)", Product),
        304: {"description": "Not modified (If-None-Match matched the ETag)"},
        **problem_responses(404, descriptions={404: "No such product"}),
    },
)
@tracer.capture_method
def get_product(productId: Annotated[str, Path(min_length=1, max_length=128)]) -> Response[Any]:
    return cacheable_response(app, catalog().get_product(productId))


lambda_handler = http_handler(app)
