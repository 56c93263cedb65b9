"""The transactional outbox: record an event in the same DynamoDB transaction as the state change.

Writers add `outbox_put(...)` to their `TransactWriteItems`; the table's stream delivers the new
item to the outbox relay (`system.outbox_relay`), which reads it back with `pending_events` and
publishes it to EventBridge. Nothing is ever written twice by a request, so a state change cannot
happen without its event or vice versa.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from commerce.clock import epoch_now
from commerce.items import to_attribute_values

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef
    from pydantic import BaseModel

    from commerce.events import EventMetadata

OUTBOX_PREFIX = "OUTBOX#"
OUTBOX_SK = "OUTBOX"
OUTBOX_RETENTION_SECONDS = 7 * 24 * 3600


def outbox_item(
    detail_type: str,
    data: BaseModel | dict[str, Any],
    *,
    correlation_id: str = "",
    event_id: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The outbox item (plain Python types) for one event; `event_id` fixes the event's identity."""
    # Imported here: the outbox relay only forwards stream images and must not pay at cold start
    # for pydantic and every event model (writers have imported them already).
    from commerce.events import envelope, new_metadata, source_of

    metadata: EventMetadata = new_metadata(correlation_id, event_id)
    created = now if now is not None else epoch_now()
    return {
        "pk": OUTBOX_PREFIX + metadata.eventId,
        "sk": OUTBOX_SK,
        "entity": "OutboxEvent",
        "source": source_of(detail_type),
        "detailType": detail_type,
        "detail": json.dumps(envelope(data, metadata), separators=(",", ":")),
        "createdAt": int(created),
        "expiresAt": int(created) + OUTBOX_RETENTION_SECONDS,
    }


def outbox_put(
    table_name: str, detail_type: str, data: BaseModel | dict[str, Any], **kwargs: Any
) -> TransactWriteItemTypeDef:
    """A `TransactWriteItems` element (low-level attribute values) that records one event."""
    item = outbox_item(detail_type, data, **kwargs)
    return {
        "Put": {
            "TableName": table_name,
            "Item": to_attribute_values(item),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


# ---- reading entries back (the relay) --------------------------------------------------------


@dataclass(frozen=True)
class PendingEvent:
    """One outbox entry read from the stream, ready to publish."""

    sequence_number: str
    source: str
    detail_type: str
    detail: str


def pending_events(records: Iterable[dict[str, Any]]) -> list[PendingEvent]:
    """Outbox inserts in a DynamoDB stream batch, in stream order; other changes are ignored."""
    pending: list[PendingEvent] = []
    for record in records:
        if record.get("eventName") != "INSERT":
            continue
        change = record.get("dynamodb") or {}
        image = change.get("NewImage") or {}
        if not image.get("pk", {}).get("S", "").startswith(OUTBOX_PREFIX):
            continue
        pending.append(
            PendingEvent(
                sequence_number=str(change.get("SequenceNumber", "")),
                source=image["source"]["S"],
                detail_type=image["detailType"]["S"],
                detail=image["detail"]["S"],
            )
        )
    return pending
