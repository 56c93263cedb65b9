"""Powertools Logger, Tracer and Metrics, one of each per process.

Service name and metrics namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE,
which the CDK function construct sets on every function.

The tracer patches only what our functions call: botocore (every AWS call becomes a subsegment).
Powertools' default, `patch_all()`, imports every library the X-Ray SDK can instrument that happens
to be installed (requests, sqlite3, ...) into every cold start; a function that calls something else
over HTTP patches it where it does (payments patches `requests` for Stripe).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

TRACED_MODULES = ("botocore",)

logger = Logger(log_uncaught_exceptions=True)
tracer = Tracer(patch_modules=TRACED_MODULES)
metrics = Metrics()
