"""The stand-in's TransactWriteItems: all or nothing, DynamoDB's cancellation reasons, no table copies."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local import dynamodb_transactions

TABLE = "transactions-probe"


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from moto.dynamodb.models import DynamoDBBackend

    # Restored after the test: the rest of the suite runs moto as shipped.
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", DynamoDBBackend.transact_write_items)
    dynamodb_transactions.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        yield client


def _backend_table() -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends["123456789012"]["us-east-1"].tables[TABLE]


def _put(pk: str, **attrs: Any) -> dict[str, Any]:
    item = {"pk": {"S": pk}, "sk": {"S": "A"}, **{k: {"N": str(v)} for k, v in attrs.items()}}
    return {"Put": {"TableName": TABLE, "Item": item}}


def _take_stock(quantity: int, **extra: Any) -> dict[str, Any]:
    """Decrement `stock` by `quantity` only if that much is left (the reservation's shape)."""
    return {
        "Update": {
            "TableName": TABLE,
            "Key": {"pk": {"S": "stock"}, "sk": {"S": "A"}},
            "UpdateExpression": "SET n = n - :q",
            "ConditionExpression": "n >= :q",
            "ExpressionAttributeValues": {":q": {"N": str(quantity)}},
            **extra,
        }
    }


def _items(client: Any) -> dict[str, dict[str, Any]]:
    return {i["pk"]["S"]: i for i in client.scan(TableName=TABLE)["Items"]}


def test_a_committed_transaction_applies_every_write_and_streams_each(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "stock"}, "sk": {"S": "A"}, "n": {"N": "5"}})
    before = len(_backend_table().stream_shard.items)
    dynamodb.transact_write_items(TransactItems=[_put("order", total=3), _take_stock(3)])
    items = _items(dynamodb)
    assert items["order"]["total"] == {"N": "3"}
    assert items["stock"]["n"] == {"N": "2"}
    assert len(_backend_table().stream_shard.items) == before + 2


def test_a_failed_condition_cancels_everything_with_reasons_and_old_item(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "stock"}, "sk": {"S": "A"}, "n": {"N": "1"}})
    table_before = _backend_table()
    stream_before = len(table_before.stream_shard.items)
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException) as raised:
        dynamodb.transact_write_items(
            TransactItems=[
                _put("order", total=3),
                _take_stock(3, ReturnValuesOnConditionCheckFailure="ALL_OLD"),
            ]
        )
    reasons = raised.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed"]
    assert reasons[1]["Item"]["n"] == {"N": "1"}
    assert set(_items(dynamodb)) == {"stock"}
    # Nothing written, nothing streamed, and the table (with its stream) is the same object.
    assert _backend_table() is table_before
    assert len(table_before.stream_shard.items) == stream_before


def test_a_write_that_fails_while_applying_is_undone_with_the_writes_before_it(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "text"}, "sk": {"S": "A"}, "s": {"S": "x"}})
    stream_before = len(_backend_table().stream_shard.items)
    with pytest.raises(dynamodb.exceptions.ClientError):
        dynamodb.transact_write_items(
            TransactItems=[
                _put("order", total=3),
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "text"}, "sk": {"S": "A"}},
                        # A number added to a string: valid syntax, fails only when applied.
                        "UpdateExpression": "SET s = s + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )
    items = _items(dynamodb)
    assert set(items) == {"text"}
    assert items["text"]["s"] == {"S": "x"}
    assert len(_backend_table().stream_shard.items) == stream_before


def test_two_operations_on_one_item_are_refused(dynamodb: Any) -> None:
    with pytest.raises(dynamodb.exceptions.ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=[_put("same", a=1), _put("same", a=2)])
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert _items(dynamodb) == {}


def test_a_transaction_copies_only_the_items_it_touches(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.models.table import Table

    for batch in range(10):
        dynamodb.batch_write_item(
            RequestItems={
                TABLE: [
                    {"PutRequest": {"Item": _put(f"filler-{batch}-{n}", n=n)["Put"]["Item"]}}
                    for n in range(25)
                ]
            }
        )
    copied: list[str] = []
    original = copy.deepcopy

    def counting(value: Any, memo: Any = None) -> Any:
        copied.append(type(value).__name__)
        if isinstance(value, Table):
            raise AssertionError("a whole table was copied")
        return original(value, memo)

    monkeypatch.setattr(copy, "deepcopy", counting)
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                _put("new", a=1),
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "absent"}, "sk": {"S": "A"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    dynamodb.transact_write_items(TransactItems=[_put("new", a=1)])
    assert "Table" not in copied
    assert len(_items(dynamodb)) == 251
