"""POST /products (admin) — add a product; ProductCreated is recorded in the same transaction."""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit

from catalog.models import NewProduct, Product
from catalog.wiring import catalog
from commerce.api import correlation_id, http_handler, json_response, make_resolver, require_admin
from commerce.observability import metrics, tracer
from commerce.openapi import BEARER, json_response_doc, problem_responses

app = make_resolver()


@app.post(
    "/products",
    summary="Create a product (admin)",
    tags=["catalog"],
    security=BEARER,
    responses={
        201: json_response_doc("The new product", Product),
        **problem_responses(403, descriptions={403: "Authenticated but not an admin"}),
    },
)
@tracer.capture_method
def create_product(body: NewProduct) -> Response[Any]:
    require_admin(app)
    product = catalog().create_product(body.model_dump(), correlation_id=correlation_id(app))
    metrics.add_metric(name="ProductsCreated", unit=MetricUnit.Count, value=1)
    return json_response(201, product, headers={"Location": f"/products/{product['productId']}"})


lambda_handler = http_handler(app)
