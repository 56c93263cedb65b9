"""The one table layout the benchmarks create by hand: every service table's keys (pk/sk) and its
`gsi1` index (gsi1pk/gsi1sk, all attributes projected), as the template defines them."""

from __future__ import annotations

from typing import Any

KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")


def create_service_table(dynamodb: Any, name: str, *, stream: bool = False) -> None:
    """`CreateTable` for a table laid out like a service table, on-demand; with `stream`, the
    NEW_AND_OLD_IMAGES stream every service table has for its outbox relay."""
    extra: dict[str, Any] = {}
    if stream:
        extra["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in KEYS],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi1",
                "KeySchema": [
                    {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
