"""The shape every event consumer shares: SQS batch → EventBridge event → typed data → handler.

    lambda_handler = consumer(handle, accepts={"OrderPlaced": OrderPlaced})

`consumer()` builds the function's entry point: the shared instrumentation
(`commerce.observability.instrumented`) around `consume`, which runs Powertools batch processing
with partial batch failures. Each SQS body is the EventBridge event; its `data` is validated with
the event's model from `commerce.events`. The correlation id of the triggering event goes on every
log line, the trace and every event the handler records (`delivery.correlation_id`).

A message that can never succeed — its body does not fit the schema, or the handler raises
`InvalidEvent` (e.g. a replenishment for a product that does not exist) — is sent straight to the
consumer's dead-letter queue (env `DLQ_URL`) with a log line that says why, and reported as done, so
it is neither retried forever nor does it fail the rest of the batch. Any other exception marks only
that message as failed: SQS retries it and, after `maxReceiveCount`, moves it to the same DLQ.

A failed message comes back after a short backoff that grows with its receive count (2 s, 10 s,
50 s, 250 s: `ChangeMessageVisibility` on `QUEUE_URL`), not after the queue's visibility timeout
(six times the function timeout): an event seen before what it depends on — `StockReserved` before
its order — settles in seconds, while a dependency that stays down still gets minutes.
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
When less than `RECORD_BUDGET_MS` of the invocation is left, the remaining messages are handed
back unprocessed (visible again at once) instead of letting the invocation time out mid-batch.

A message that failed only because a dependency throttled it (DynamoDB refused for capacity, or a
`RateLimited` error such as Stripe's 429) is not a failure: it is *deferred* — sent again to the
consumer's own queue with a delay that grows with each deferral (1 s, 2 s, 4 s, ... 15 min) and a
`deferrals` count — and the original is acknowledged, so throttling during a sale never spends a
message's five receives and never dead-letters it. After `MAX_DEFERRALS` (hours of throttling) it
fails like any other error.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel, ValidationError

from commerce.dynamodb import throttled
from commerce.errors import RateLimited
from commerce.events import EVENTS, EventMetadata, InboundEvent
from commerce.observability import instrumented, logger, tracer

DLQ_URL_ENV = "DLQ_URL"
QUEUE_URL_ENV = "QUEUE_URL"
RECORD_BUDGET_ENV = "RECORD_BUDGET_MS"
RETRY_BASE_SECONDS = 2
RETRY_FACTOR = 5
RETRY_CAP_SECONDS = 900
DEFERRALS_ATTRIBUTE = "deferrals"
MAX_DEFERRALS = 60
DEFERRAL_CAP_SECONDS = 900  # SQS's longest DelaySeconds


class OutOfTime(Exception):
    """Too little of the invocation is left for another message: it goes back to the queue."""


def retry_delay(receive_count: int) -> int:
    """Seconds until a message that failed on its `receive_count`-th receive is delivered again:
    2, 10, 50, 250, ... (capped), each with up to half of it taken off at random so that messages
    that failed together do not all come back at the same moment."""
    delay = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * RETRY_FACTOR ** max(0, receive_count - 1))
    return max(1, round(delay * random.uniform(0.5, 1.0)))


def hand_back(record: SQSRecord, delay_seconds: int) -> None:
    """Make a failed message visible again in `delay_seconds` (best effort: without it, the
    queue's visibility timeout applies)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from commerce.aws import sqs

    queue_url = os.environ.get(QUEUE_URL_ENV)
    if not queue_url:
        return
    try:
        sqs().change_message_visibility(
            QueueUrl=queue_url, ReceiptHandle=record.receipt_handle, VisibilityTimeout=delay_seconds
        )
    except (ClientError, BotoCoreError) as exc:  # it still comes back, after the visibility timeout
        logger.warning(
            "could not shorten the message's retry delay",
            extra={"message_id": record.message_id, "error": type(exc).__name__},
        )


def deferral_delay(deferrals: int) -> int:
    """Seconds a message throttled for the `deferrals`-th time waits: 1, 2, 4, ... 900, jittered."""
    delay = min(DEFERRAL_CAP_SECONDS, 2 ** max(0, deferrals - 1))
    return max(1, round(delay * random.uniform(0.5, 1.0)))


def deferrals_of(record: SQSRecord) -> int:
    attribute = (record.raw_event.get("messageAttributes") or {}).get(DEFERRALS_ATTRIBUTE) or {}
    try:
        return int(attribute.get("stringValue") or 0)
    except (TypeError, ValueError):
        return 0


def defer(record: SQSRecord) -> int | None:
    """Send the message again to this consumer's queue, later (see the module docstring); the delay,
    or None when it cannot be deferred (no QUEUE_URL, too many deferrals, SendMessage failed)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from commerce.aws import sqs

    queue_url = os.environ.get(QUEUE_URL_ENV)
    deferrals = deferrals_of(record) + 1
    if not queue_url or deferrals > MAX_DEFERRALS:
        return None
    delay = deferral_delay(deferrals)
    try:
        sqs().send_message(
            QueueUrl=queue_url,
            MessageBody=record.body,
            DelaySeconds=delay,
            MessageAttributes={DEFERRALS_ATTRIBUTE: {"DataType": "Number", "StringValue": str(deferrals)}},
        )
    except (ClientError, BotoCoreError) as exc:
        logger.warning(
            "could not defer a throttled message",
            extra={"message_id": record.message_id, "error": type(exc).__name__},
        )
        return None
    return delay


def _receive_count(record: SQSRecord) -> int:
    try:
        return int(record.attributes.approximate_receive_count or 1)
    except (TypeError, ValueError):
        return 1


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
    from commerce.aws import sqs

    queue_url = os.environ.get(DLQ_URL_ENV)
    if not queue_url:
        # Without a DLQ to hand, fail the message: SQS redrive moves it to the DLQ eventually.
        raise RuntimeError(f"unprocessable message and no {DLQ_URL_ENV}: {reason}")
    sqs().send_message(
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

    budget_ms = int(os.environ.get(RECORD_BUDGET_ENV) or 0)
    started = [0]

    def record_handler(record: SQSRecord) -> None:
        started[0] += 1
        remaining = _remaining_ms(context)
        if started[0] > 1 and budget_ms and remaining is not None and remaining < budget_ms:
            logger.warning(
                "too little time left for another message; handing it back",
                extra={"message_id": record.message_id, "remaining_ms": remaining, "budget_ms": budget_ms},
            )
            hand_back(record, 0)
            raise OutOfTime(record.message_id)
        try:
            delivery = parse(record.body, accepts)
            logger.set_correlation_id(delivery.correlation_id)
            tracer.put_annotation(key="correlation_id", value=delivery.correlation_id)
            logger.append_keys(event_id=delivery.event_id, detail_type=delivery.name)
            handle(delivery)
        except InvalidEvent as exc:
            logger.error(
                "unprocessable event sent to the dead-letter queue",
                extra={"reason": str(exc), "message_id": record.message_id, "body_bytes": len(record.body)},
            )
            dead_letter(record, str(exc))
        except Exception as exc:
            if isinstance(exc, RateLimited) or throttled(exc):
                deferred = defer(record)
                if deferred is not None:
                    logger.warning(
                        "throttled: the message is deferred, keeping its receives",
                        extra={
                            "message_id": record.message_id,
                            "error_type": type(exc).__name__,
                            "retry_in_s": deferred,
                        },
                    )
                    return
            delay = retry_delay(_receive_count(record))
            logger.exception(
                "event processing failed; SQS will deliver it again",
                extra={"message_id": record.message_id, "retry_in_s": delay},
            )
            hand_back(record, delay)
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


def _remaining_ms(context: Any) -> int | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    try:
        return int(remaining())
    except (TypeError, ValueError):
        return None


def consumer(
    handle: Callable[[Delivery], None], *, accepts: Mapping[str, type[BaseModel]]
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The `lambda_handler` of a queue consumer that takes the events in `accepts`."""

    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return consume(event, context, handle, accepts=accepts)

    return instrumented(lambda_handler)
