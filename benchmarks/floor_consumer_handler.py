"""The consumer floor: the plain floor plus what the conventions require of every queue consumer.

Powertools Logger, Tracer, Metrics, one boto3 client, the batch processor with partial batch
failures and one pydantic model for the event's data. Every consumer's cold start is compared with
this one (budget <= 1.15x, benchmarks/coldstart.py).
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
_client: Any = None


class OrderData(BaseModel):
    orderId: str


def record_handler(record: SQSRecord) -> None:
    global _client
    if _client is None:
        _client = boto3.client("dynamodb")
    OrderData.model_validate(json.loads(record.body)["detail"]["data"])


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
