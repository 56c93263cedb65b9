"""A second, diagnostic floor: the plain floor plus the HTTP framework every route uses.

Powertools Logger, Tracer, Metrics, one boto3 client and an `APIGatewayRestResolver` with pydantic
validation serving one route. The gap between this and benchmarks/floor_handler.py is what the
framework costs; the gap between it and a route function is what our own code costs.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)
_client: Any = None


@app.get("/health")
def health() -> dict[str, str]:
    global _client
    if _client is None:
        _client = boto3.client("dynamodb")
    return {"status": "ok"}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
