"""Outbox relay: a service table's DynamoDB stream → the EventBridge bus.

Reports only the records whose events were not accepted (ReportBatchItemFailures), so Lambda
retries from the first failed one; the mapping bisects, caps retries and sends what still fails
to the relay's dead-letter queue. Nothing is dropped silently.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from commerce.observability import instrumented, logger, metrics
from commerce.outbox import pending_events
from system.wiring import outbox_relay


def relay(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    records = event.get("Records", [])
    failed = outbox_relay().relay(pending_events(records))
    metrics.add_metric(name="OutboxRelayFailures", unit=MetricUnit.Count, value=len(failed))
    if failed:
        logger.warning(
            "outbox entries will be retried", extra={"failed": len(failed), "records": len(records)}
        )
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}


lambda_handler = instrumented(relay)
