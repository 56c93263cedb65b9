"""TransactWriteItems for the AWS stand-in: all-or-nothing without copying whole tables.

moto (5.x) makes a transaction atomic by deep-copying every table it names before applying the
writes one by one, and on any failure replacing the table objects with those copies. That costs
O(items in the tables) per transaction — a `POST /orders` slows down as the tables fill, and
under load the saga's consumers time out — and the replaced table has a new stream shard, so
the stream pollers (and every outbox relay behind them) stop seeing the table's writes after the
first cancelled transaction.

DynamoDB itself checks every condition of a transaction against the same snapshot, then applies
all writes or none. This does the same, in two phases:

1. check: shape, one operation per item, every `ConditionExpression` against the current items.
   Any failure cancels the transaction (with moto's per-item `CancellationReasons`, including
   `ReturnValuesOnConditionCheckFailure=ALL_OLD`) before anything is written;
2. apply: the writes, through moto's own `put_item` / `update_item` / `delete_item` (so item
   validation, stream records and TTL behave as before). Only the items the transaction touches
   are copied first; if a write still fails (an invalid update, an item too large), those items
   and the tables' streams are put back as they were and the transaction is cancelled.

Requires DynamoDB requests to the stand-in to be serialized (see local/provision.py), as moto's
own implementation does: neither is isolated from a concurrent writer.
"""

from __future__ import annotations

import copy
from typing import Any

_MARK = "_commerce_two_phase"


def install() -> None:
    """Replace moto's DynamoDBBackend.transact_write_items (idempotent)."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend.transact_write_items, _MARK, False):
        return

    def _key_of(table: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
        if op_type != "Put":
            return dict(op["Key"])
        attrs = op["Item"]
        key = {table.hash_key_attr: attrs[table.hash_key_attr]}
        if table.range_key_attr is not None:
            key[table.range_key_attr] = attrs[table.range_key_attr]
        return key

    def _check(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any]]:
        """Phase 1: every condition against the current state; nothing is written."""
        seen: set[tuple[str, str]] = set()
        errors: list[tuple[Any, Any, Any]] = []
        for item in transact_items:
            if len(item) > 1:
                raise TransactWriteSingleOpException
            op_type, op = next(iter(item.items()))
            old_item: dict[str, Any] | None = None
            try:
                if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                    raise ValueError("Unsupported transaction operation")
                table_name = op["TableName"]
                table = backend.get_table(table_name)
                key = _key_of(table, op_type, op)
                unique = (str(table_name), str(dict(sorted(key.items()))))
                if unique in seen:
                    raise MultipleTransactionsException()
                seen.add(unique)
                current = backend.get_item(table_name, key)
                condition = op.get("ConditionExpression")
                if condition is not None:
                    check = get_filter_expression(
                        condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
                    )
                    if not check.expr(current):
                        if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                            old_item = current.to_json()["Attributes"]
                        raise ConditionalCheckFailed(item=old_item)
                errors.append((None, None, None))
            except (MultipleTransactionsException, MockValidationException):
                raise
            except ConditionalCheckFailed as exc:
                errors.append(("ConditionalCheckFailed", str(exc.message), old_item))
            except Exception as exc:  # noqa: BLE001 - moto reports any other failure per item
                errors.append((type(exc).__name__, str(exc), old_item))
        return errors

    def _apply(backend: Any, op_type: str, op: dict[str, Any]) -> None:
        common = {
            "condition_expression": op.get("ConditionExpression"),
            "expression_attribute_names": op.get("ExpressionAttributeNames"),
            "expression_attribute_values": op.get("ExpressionAttributeValues"),
        }
        if op_type == "Put":
            backend.put_item(op["TableName"], op["Item"], **common)
        elif op_type == "Delete":
            backend.delete_item(op["TableName"], op["Key"], **common)
        elif op_type == "Update":
            backend.update_item(
                op["TableName"], op["Key"], update_expression=op["UpdateExpression"], **common
            )

    def _restore(snapshots: list[tuple[Any, Any, Any, Any]], shards: dict[int, tuple[Any, int]]) -> None:
        for table, hash_key, range_key, old in reversed(snapshots):
            if range_key is not None:
                if old is None:
                    table.items.get(hash_key, {}).pop(range_key, None)
                else:
                    table.items[hash_key][range_key] = old
            elif old is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = old
        for shard, length in shards.values():
            del shard.items[length:]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        if len(transact_items) > 100:
            raise TooManyTransactionsException()
        errors = _check(self, transact_items)
        if any(code is not None for code, _, _ in errors):
            raise TransactionCanceledException(errors)

        snapshots: list[tuple[Any, Any, Any, Any]] = []
        shards: dict[int, tuple[Any, int]] = {}
        for item in transact_items:
            op_type, op = next(iter(item.items()))
            table = self.get_table(op["TableName"])
            hash_key, range_key = self.get_keys_value(table, _key_of(table, op_type, op))
            snapshots.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
            if table.stream_shard is not None:
                shards.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))

        for index, item in enumerate(transact_items):
            op_type, op = next(iter(item.items()))
            try:
                _apply(self, op_type, op)
            except MockValidationException:
                _restore(snapshots, shards)
                raise
            except Exception as exc:
                _restore(snapshots, shards)
                failed: list[tuple[Any, Any, Any]] = [(None, None, None)] * len(transact_items)
                failed[index] = (type(exc).__name__, str(exc), None)
                raise TransactionCanceledException(failed) from exc

    setattr(transact_write_items, _MARK, True)
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
