"""PATCH /products/{productId} (admin) — change some fields; ProductUpdated in the same transaction."""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from catalog.models import Product, ProductChanges
from catalog.wiring import catalog
from commerce.api import correlation_id, http_handler, json_response, make_resolver, require_admin
from commerce.observability import tracer
from commerce.openapi import BEARER, json_response_doc, problem_responses

app = make_resolver()


@app.patch(
    "/products/<productId>",
    summary="Update a product (admin)",
    tags=["catalog"],
    security=BEARER,
    responses={
        200: json_response_doc("The updated product", Product),
        **problem_responses(
            403,
            404,
            409,
            descriptions={
                403: "Authenticated but not an admin",
                404: "No such product",
                409: "The product kept changing concurrently; retry",
            },
        ),
    },
)
@tracer.capture_method
def update_product(
    productId: Annotated[str, Path(min_length=1, max_length=128)],
    body: ProductChanges,
) -> Response[Any]:
    require_admin(app)
    changes = body.model_dump(exclude_none=True)
    product = catalog().update_product(productId, changes, correlation_id=correlation_id(app))
    return json_response(200, product)


lambda_handler = http_handler(app)
