"""The HTTP floor: the plain floor plus what the conventions require of every route.

Powertools Logger, Tracer, Metrics, one boto3 client and an `APIGatewayRestResolver` with pydantic
validation serving one route whose body is one pydantic model. Every API route function's cold
start is compared with this one (budget <= 1.15x, benchmarks/coldstart.py): the gap is what our
own code costs, not the framework the conventions chose.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from pydantic import BaseModel, Field

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)
_client: Any = None


class Greeting(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    times: int = Field(default=1, ge=1, le=10)


@app.post("/greetings")
def greet(body: Greeting) -> dict[str, str]:
    global _client
    if _client is None:
        _client = boto3.client("dynamodb")
    return {"greeting": " ".join(["hello", body.name] * body.times)}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
