"""GET /health — liveness of the API and the version that is deployed."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.api import make_resolver
from commerce.observability import logger, metrics, tracer

app = make_resolver()


@app.get("/health")
@tracer.capture_method
def health() -> dict[str, str]:
    metrics.add_metric(name="HealthChecks", unit=MetricUnit.Count, value=1)
    return {"status": "ok", "version": os.environ.get("APP_VERSION", "unknown")}


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
