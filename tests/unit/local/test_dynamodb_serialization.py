"""The stand-in's DynamoDB serialization fast path answers exactly what moto's generic path does."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

from local import dynamodb_serialization

TABLE = "serialization-probe"
ITEM: dict[str, Any] = {
    "pk": {"S": "PRODUCT#1"},
    "sk": {"S": "PRODUCT"},
    "price": {"M": {"amount": {"N": "1999"}, "currency": {"S": "EUR"}}},
    "tags": {"SS": ["a", "b"]},
    "sizes": {"NS": ["1", "2.5"]},
    "lines": {"L": [{"M": {"q": {"N": "2"}, "gift": {"BOOL": True}}}, {"NULL": True}]},
    "blob": {"B": b"\x00\x01binary"},
    "nested": {"M": {"raw": {"BS": [b"x", b"y"]}}},
}


def _table(client: Any) -> None:
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.put_item(TableName=TABLE, Item=ITEM)


def _answers(client: Any) -> list[Any]:
    key = {"pk": ITEM["pk"], "sk": ITEM["sk"]}
    return [
        client.get_item(TableName=TABLE, Key=key)["Item"],
        client.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": ITEM["pk"]},
        )["Items"],
        client.scan(TableName=TABLE)["Items"],
    ]


@pytest.fixture
def restore_serializer(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.core.serialize import BaseJSONSerializer

    # Restored after the test: the rest of the suite runs moto as shipped.
    monkeypatch.setattr(
        BaseJSONSerializer, "_serialize_type_structure", BaseJSONSerializer._serialize_type_structure
    )


def test_items_read_the_same_with_and_without_the_fast_path(restore_serializer: None) -> None:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        _table(client)
        generic = _answers(client)
        dynamodb_serialization.install()
        fast = _answers(client)
    assert fast == generic
    assert fast[0]["blob"] == {"B": b"\x00\x01binary"}
    assert fast[0]["price"] == {"M": {"amount": {"N": "1999"}, "currency": {"S": "EUR"}}}


def test_the_fast_path_takes_plain_values_and_leaves_binary_ones_to_moto() -> None:
    plain = dynamodb_serialization.plain_attribute_value
    for name in ("price", "lines", "tags", "sizes"):
        assert plain(ITEM[name]), name
    assert not plain(ITEM["blob"])
    assert not plain(ITEM["nested"])
    assert not plain({"S": "x", "N": "1"})
    assert not plain("S")


def test_a_plain_item_skips_the_member_by_member_walk(
    restore_serializer: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.core.serialize import BaseJSONSerializer

    walked: list[str] = []
    member = BaseJSONSerializer._serialize_structure_member

    def recording(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        walked.append(getattr(getattr(shape, "parent", None), "name", ""))
        member(self, serialized, value, shape, key)

    monkeypatch.setattr(BaseJSONSerializer, "_serialize_structure_member", recording)
    dynamodb_serialization.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        _table(client)
        plain_key = {"pk": {"S": "PLAIN"}, "sk": {"S": "A"}}
        client.put_item(TableName=TABLE, Item={**plain_key, "price": ITEM["price"], "lines": ITEM["lines"]})
        walked.clear()
        item = client.get_item(TableName=TABLE, Key=plain_key)["Item"]
    assert item["lines"] == ITEM["lines"]
    assert "AttributeValue" not in walked
