"""The shape every event consumer shares: SQS batch → EventBridge event → typed data → handler.

`consume(event, context, handle, accepts=...)` runs Powertools batch processing with partial batch
failures. Each SQS body is the EventBridge event; its `data` is validated with the event's model
from `commerce.events`. The correlation id of the triggering event is put on every log line.

A message that can never succeed — its body does not fit the schema, or the handler raises
`InvalidEvent` (e.g. a replenishment for a product that does not exist) — is sent straight to the
consumer's dead-letter queue (env `DLQ_URL`) with a log line that says why, and reported as done, so
it is neither retried forever nor does it fail the rest of the batch. Any other exception marks only
that message as failed: SQS retries it and, after `maxReceiveCount`, moves it to the same DLQ.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel, ValidationError

from commerce.events import EVENTS, EventMetadata, InboundEvent
from commerce.observability import logger

DLQ_URL_ENV = "DLQ_URL"


class InvalidEvent(Exception):
    """A message that no retry can fix: it goes to the dead-letter queue at once."""


@dataclass(frozen=True)
class Delivery:
    """One event as a consumer sees it."""

    name: str  # DetailType
    source: str
    metadata: EventMetadata
    data: Any  # the pydantic model of `name`

    @property
    def event_id(self) -> str:
        return self.metadata.eventId

    @property
    def correlation_id(self) -> str:
        return self.metadata.correlationId or self.metadata.eventId


def parse(body: str, accepts: Mapping[str, type[BaseModel]] | None = None) -> Delivery:
    """An SQS body as a `Delivery`; raises `InvalidEvent` naming the problem when it does not fit."""
    try:
        event = InboundEvent.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidEvent(f"not an EventBridge event: {_problems(exc)}") from exc
    models = accepts if accepts is not None else {name: model for name, (_, model) in EVENTS.items()}
    model = models.get(event.detail_type)
    if model is None:
        raise InvalidEvent(f"unexpected detail-type {event.detail_type!r}")
    expected_source = EVENTS.get(event.detail_type, ("", None))[0]
    if expected_source and event.source != expected_source:
        raise InvalidEvent(f"{event.detail_type} from unexpected source {event.source!r}")
    try:
        metadata = event.metadata()
        data = event.data_as(model)
    except ValidationError as exc:
        raise InvalidEvent(f"{event.detail_type} does not fit its schema: {_problems(exc)}") from exc
    return Delivery(name=event.detail_type, source=event.source, metadata=metadata, data=data)


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in error.get('loc', ())) or '(root)'}: {error.get('msg', 'invalid')}"
        for error in exc.errors()[:10]
    )


def dead_letter(record: SQSRecord, reason: str) -> None:
    """Send an unprocessable message to this consumer's DLQ, keeping its body and saying why."""
    from commerce.aws import client

    queue_url = os.environ.get(DLQ_URL_ENV)
    if not queue_url:
        # Without a DLQ to hand, fail the message: SQS redrive moves it to the DLQ eventually.
        raise RuntimeError(f"unprocessable message and no {DLQ_URL_ENV}: {reason}")
    client("sqs").send_message(
        QueueUrl=queue_url,
        MessageBody=record.body,
        MessageAttributes={
            "reason": {"DataType": "String", "StringValue": reason[:1000]},
            "sourceMessageId": {"DataType": "String", "StringValue": record.message_id},
        },
    )


def consume(
    event: dict[str, Any],
    context: Any,
    handle: Callable[[Delivery], None],
    *,
    accepts: Mapping[str, type[BaseModel]] | None = None,
) -> dict[str, Any]:
    """Process an SQS batch with partial failures; `handle` must be idempotent per event id."""

    def record_handler(record: SQSRecord) -> None:
        try:
            delivery = parse(record.body, accepts)
            logger.set_correlation_id(delivery.correlation_id)
            logger.append_keys(event_id=delivery.event_id, detail_type=delivery.name)
            handle(delivery)
        except InvalidEvent as exc:
            logger.error(
                "unprocessable event sent to the dead-letter queue",
                extra={"reason": str(exc), "message_id": record.message_id, "body_bytes": len(record.body)},
            )
            dead_letter(record, str(exc))
        except Exception:
            logger.exception(
                "event processing failed; SQS will deliver it again", extra={"message_id": record.message_id}
            )
            raise
        finally:
            logger.remove_keys(["event_id", "detail_type"])

    response = process_partial_response(
        event=event,
        record_handler=record_handler,
        processor=BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False),
        context=context,
    )
    return dict(response)
