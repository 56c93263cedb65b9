"""The cold-start floor: the least a Commerce function can do.

It creates Powertools Logger, Tracer and Metrics and one boto3 client, and handles one event with the
same decorators our handlers use. Every function's cold start is compared with this one, measured in
the same run on the same machine (see benchmarks/coldstart.py).
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
_client: Any = None


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _client
    if _client is None:
        _client = boto3.client("dynamodb")
    return {"statusCode": 200, "body": "{}"}
