"""The outbox item and the relay's retry contract (system.service.OutboxRelay, publisher faked; no AWS)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from system.service import OutboxRelay

from commerce.events import UserDeleted
from commerce.items import to_attribute_values
from commerce.outbox import PendingEvent, outbox_item, outbox_put, pending_events


class FakePublisher:
    def __init__(self, publish: Callable[[Sequence[PendingEvent]], list[int]]) -> None:
        self.publish = publish


def relay(records: list[dict[str, Any]], publish: Callable[[Sequence[PendingEvent]], list[int]]) -> list[str]:
    """The relay use case over a fake publisher, fed the way the handler feeds it."""
    return OutboxRelay(publisher=FakePublisher(publish)).relay(pending_events(records))


def stream_record(item: dict[str, Any], sequence: str, event_name: str = "INSERT") -> dict[str, Any]:
    return {
        "eventName": event_name,
        "dynamodb": {"NewImage": to_attribute_values(item), "SequenceNumber": sequence},
    }


def test_outbox_item_carries_the_envelope_with_a_stable_event_id() -> None:
    item = outbox_item("UserDeleted", UserDeleted(userId="u-1"), correlation_id="req-1", event_id="e-1")
    assert item["pk"] == "OUTBOX#e-1"
    assert item["source"] == "commerce.identity"
    assert item["detailType"] == "UserDeleted"
    detail = json.loads(item["detail"])
    assert detail["data"] == {"userId": "u-1"}
    assert detail["metadata"]["eventId"] == "e-1"
    assert detail["metadata"]["correlationId"] == "req-1"
    assert detail["metadata"]["eventVersion"] == "1"
    assert item["expiresAt"] > item["createdAt"]


def test_outbox_put_is_a_conditional_transaction_element() -> None:
    put = outbox_put("T", "UserDeleted", UserDeleted(userId="u-1"), event_id="e-2")["Put"]
    assert put["TableName"] == "T"
    assert put["Item"]["pk"] == {"S": "OUTBOX#e-2"}
    assert put["ConditionExpression"] == "attribute_not_exists(pk)"


def test_relay_reports_only_the_entries_eventbridge_rejected() -> None:
    records = [
        stream_record(outbox_item("UserDeleted", UserDeleted(userId=f"u-{n}"), event_id=f"e-{n}"), f"{n:03d}")
        for n in range(25)
    ]
    published: list[str] = []

    def publish(chunk: Sequence[PendingEvent]) -> list[int]:
        published.extend(event.sequence_number for event in chunk)
        return [index for index, event in enumerate(chunk) if event.sequence_number in {"003", "017"}]

    failed = relay(records, publish)

    assert failed == ["003", "017"]
    assert len(published) == 25  # 3 PutEvents calls: 10 + 10 + 5


def test_relay_retries_a_whole_chunk_when_the_call_fails() -> None:
    records = [
        stream_record(outbox_item("UserDeleted", UserDeleted(userId="u"), event_id=f"e-{n}"), str(n))
        for n in range(12)
    ]
    calls = 0

    def publish(chunk: Sequence[PendingEvent]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise TimeoutError("EventBridge did not answer")
        return []

    assert relay(records, publish) == ["10", "11"]


def test_relay_ignores_non_outbox_changes() -> None:
    state_change = stream_record({"pk": "ORDER#1", "sk": "ORDER"}, "1")
    removal = stream_record(outbox_item("UserDeleted", UserDeleted(userId="u")), "2", event_name="REMOVE")
    seen: list[PendingEvent] = []

    def publish(chunk: Sequence[PendingEvent]) -> list[int]:
        seen.extend(chunk)
        return []

    assert relay([state_change, removal], publish) == []
    assert seen == []
