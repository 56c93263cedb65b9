"""Idempotency records spread over partitions: one partition key per record, never one per kind.

DynamoDB spreads load by partition key; a key every charge (or every email) shares is a hot
partition under load. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html
"""

from __future__ import annotations

from typing import Any

from commerce.aws import client
from commerce.idempotency import run_once
from tests.integration.conftest import create_service_table


def test_each_record_has_its_own_partition_and_still_replays(aws: None) -> None:
    table = create_service_table("idempotency-test")
    calls: list[str] = []

    def charge(event_id: str) -> Any:
        def action() -> dict[str, Any]:
            calls.append(event_id)
            return {"paymentId": f"pi-{event_id}"}

        return run_once("charge", event_id, action, table_name=table)

    first = [charge(f"evt-{n}") for n in range(3)]
    again = [charge(f"evt-{n}") for n in range(3)]

    assert calls == ["evt-0", "evt-1", "evt-2"]
    assert again == first
    items = client("dynamodb").scan(TableName=table)["Items"]
    partitions = {item["pk"]["S"] for item in items}
    assert len(partitions) == 3
    assert all(pk.startswith("IDEMPOTENCY#charge#") for pk in partitions)
    assert {item["sk"]["S"] for item in items} == {"IDEMPOTENCY"}
