"""tools/copy_table.py (the regional restore drill): every state item is copied, no outbox item."""

from __future__ import annotations

from commerce.aws import client
from tests.integration.conftest import create_service_table
from tools.copy_table import copy_table


def test_state_items_are_copied_and_published_events_are_not(aws: None) -> None:
    ddb = client("dynamodb")
    source, target = create_service_table("restored"), create_service_table("fresh")
    for n in range(60):
        ddb.put_item(
            TableName=source, Item={"pk": {"S": f"ORDER#{n}"}, "sk": {"S": "ORDER"}, "n": {"N": str(n)}}
        )
    ddb.put_item(TableName=source, Item={"pk": {"S": "OUTBOX#e-1"}, "sk": {"S": "OUTBOX"}})

    assert copy_table(ddb, source, target) == (60, 1)
    assert copy_table(ddb, source, target) == (60, 1)  # idempotent

    items = ddb.scan(TableName=target)["Items"]
    assert len(items) == 60
    assert not [i for i in items if i["pk"]["S"].startswith("OUTBOX#")]
