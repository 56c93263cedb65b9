"""GET /health — liveness of the API and the version that is deployed."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from commerce.api import http_handler, make_resolver
from commerce.observability import metrics, tracer
from system.wiring import health as system_health

app = make_resolver()


@app.get("/health")
@tracer.capture_method
def health() -> dict[str, str]:
    metrics.add_metric(name="HealthChecks", unit=MetricUnit.Count, value=1)
    return system_health().check()


lambda_handler = http_handler(app)
