"""State change + outbox entry in one transaction → stream → relay → bus, against moto."""

from __future__ import annotations

from typing import Any

import pytest

from commerce.aws import client
from commerce.events import UserDeleted
from commerce.outbox import outbox_put
from tests.conftest import FakeLambdaContext
from tests.integration.conftest import bus_with_capture_queue, create_service_table, drain, stream_records

pytestmark = pytest.mark.usefixtures("aws")


@pytest.fixture
def relay_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("EVENT_BUS_NAME", "commerce-test")
    return bus_with_capture_queue("commerce-test")


def write_with_event(table: str, user_id: str, event_id: str) -> None:
    client("dynamodb").transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": f"USER#{user_id}"}, "sk": {"S": "PROFILE"}}}},
            outbox_put(
                table, "UserDeleted", UserDeleted(userId=user_id), event_id=event_id, correlation_id="c-1"
            ),
        ]
    )


def test_relay_publishes_outbox_entries_with_their_envelope(
    relay_env: str, lambda_context: FakeLambdaContext
) -> None:
    from system import outbox_relay

    table = create_service_table("relay-test")
    write_with_event(table, "u-1", "e-1")
    write_with_event(table, "u-2", "e-2")

    result = outbox_relay.lambda_handler({"Records": stream_records(table)}, lambda_context)

    assert result == {"batchItemFailures": []}
    events = drain(relay_env)
    assert [(e["source"], e["detail-type"]) for e in events] == [("commerce.identity", "UserDeleted")] * 2
    assert sorted(e["detail"]["metadata"]["eventId"] for e in events) == ["e-1", "e-2"]
    assert all(e["detail"]["metadata"]["correlationId"] == "c-1" for e in events)


def test_relay_reports_entries_with_failed_entry_count(
    relay_env: str, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from system import outbox_relay

    table = create_service_table("relay-test")
    for n in range(3):
        write_with_event(table, f"u-{n}", f"e-{n}")
    records = stream_records(table)
    outbox_sequences = [
        r["dynamodb"]["SequenceNumber"]
        for r in records
        if r["dynamodb"]["Keys"]["pk"]["S"].startswith("OUTBOX#")
    ]
    events_client = client("events")
    real_put_events = events_client.put_events

    def second_entry_throttled(**kwargs: Any) -> dict[str, Any]:
        entries = kwargs["Entries"]
        real_put_events(Entries=[entries[0], entries[2]])
        return {
            "FailedEntryCount": 1,
            "Entries": [
                {"EventId": "a"},
                {"ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"},
                {"EventId": "c"},
            ],
        }

    monkeypatch.setattr(events_client, "put_events", second_entry_throttled)

    result = outbox_relay.lambda_handler({"Records": records}, lambda_context)

    assert result == {"batchItemFailures": [{"itemIdentifier": outbox_sequences[1]}]}
    assert len(drain(relay_env)) == 2
