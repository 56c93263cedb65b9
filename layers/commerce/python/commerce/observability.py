"""Powertools Logger, Tracer and Metrics, one of each per process.

Service name and metrics namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE,
which the CDK function construct sets on every function.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(log_uncaught_exceptions=True)
tracer = Tracer()
metrics = Metrics()
