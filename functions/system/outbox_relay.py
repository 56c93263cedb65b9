"""Outbox relay: a service table's DynamoDB stream → the EventBridge bus.

Reports only the records whose events were not accepted (ReportBatchItemFailures), so Lambda
retries from the first failed one; the mapping bisects, caps retries and sends what still fails
to the relay's dead-letter queue. Nothing is dropped silently.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.bus import put_events
from commerce.observability import logger, metrics, tracer
from commerce.outbox import relay


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = event.get("Records", [])
    failed = relay(records, put_events)
    metrics.add_metric(name="OutboxRelayFailures", unit=MetricUnit.Count, value=len(failed))
    if failed:
        logger.warning(
            "outbox entries will be retried", extra={"failed": len(failed), "records": len(records)}
        )
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}
