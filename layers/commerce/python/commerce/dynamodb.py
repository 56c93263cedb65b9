"""What every DynamoDB adapter shares: reading why a write was refused, and paging a query.

No business rules here. `TableAdapter` is the base of every store (its table from `TABLE_NAME`).
`cancellation_reasons` reads the per-item codes of a cancelled
`TransactWriteItems` (in request order, `"None"` for the items that were fine), so an adapter can
tell "the order changed" from "this event was recorded already"; `throttled` tells a request DynamoDB
refused for capacity (a hot partition, the table's quota) from one it refused on its merits, and
`retryable` is what an adapter retries shortly (a transaction conflict, or throttling: botocore
retries throttled single requests itself, but never a cancelled transaction). `query_page` is the
one way a list is read: a Query (never a Scan) for `limit + 1` items, so the last page carries no
cursor to an empty page, continued with an opaque, tamper-evident cursor bound to its query
(`commerce.cursor`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from commerce.aws import dynamodb
from commerce.cursor import decode_cursor, encode_cursor

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import QueryInputTypeDef

CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailed"
TRANSACTION_CONFLICT = "TransactionConflict"
#: Cancellation reasons of a transaction DynamoDB refused for capacity (on-demand, provisioned).
THROTTLING_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})
#: Error codes of a request DynamoDB refused for capacity.
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TroubleshootingThrottling.html
THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)


class Throttled(Exception):
    """DynamoDB kept refusing part of a request for capacity (e.g. a batch's unprocessed keys)."""


@dataclass(frozen=True)
class TableAdapter:
    """The base of every service's DynamoDB adapter (`DynamoXStore` in `functions/<service>/store.py`):
    the service table's name, from the function's environment (`TABLE_NAME`) — the one way a store is
    built for a function; a test builds one with its own table name, or puts a fake in its place."""

    table: str

    @classmethod
    def from_env(cls) -> Self:
        return cls(table=os.environ["TABLE_NAME"])

    def prime(self) -> None:
        """Create the DynamoDB client before a SnapStart snapshot (commerce.snapstart)."""
        dynamodb()

    def get_item(self, key: dict[str, Any], *, table: str | None = None) -> dict[str, Any] | None:
        """One strongly consistent GetItem (a read right after a write must see it); the raw item."""
        item = dynamodb().get_item(TableName=table or self.table, Key=key, ConsistentRead=True).get("Item")
        return dict(item) if item else None


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore `ClientError` ("" for anything else)."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def cancellation_reasons(error: Exception) -> list[str]:
    """The code of each item of a cancelled transaction, in request order (empty if not one)."""
    response = getattr(error, "response", None) or {}
    return [str(reason.get("Code") or "None") for reason in response.get("CancellationReasons") or []]


def condition_failed(error: Exception, index: int | None = None) -> bool:
    """A failed condition: a `ConditionalCheckFailedException`, or a cancelled transaction whose item
    `index` (any item, if None) failed its condition."""
    if error_code(error) == "ConditionalCheckFailedException":
        return True
    reasons = cancellation_reasons(error)
    if index is None:
        return CONDITIONAL_CHECK_FAILED in reasons
    return len(reasons) > index and reasons[index] == CONDITIONAL_CHECK_FAILED


def applied(write: Callable[[], object]) -> bool:
    """Run one conditional write: True if it was applied, False if its condition failed (any other
    error is raised)."""
    try:
        write()
    except Exception as error:
        if condition_failed(error):
            return False
        raise
    return True


def transaction_conflict(error: Exception) -> bool:
    """Cancelled only because a concurrent transaction touched the same item: worth retrying."""
    reasons = cancellation_reasons(error)
    return TRANSACTION_CONFLICT in reasons and CONDITIONAL_CHECK_FAILED not in reasons


def throttled(error: BaseException) -> bool:
    """Refused for capacity, not on its merits: a throttling error code, a transaction cancelled
    only for throughput, or `Throttled`, itself or as the cause of the error raised (Powertools
    Idempotency raises `IdempotencyPersistenceLayerError` from a throttled write to its table). It
    may well succeed a moment later."""
    cause: BaseException | None = error
    for _ in range(5):
        if cause is None:
            return False
        if _throttled_itself(cause):
            return True
        cause = cause.__cause__
    return False


def _throttled_itself(error: BaseException) -> bool:
    if isinstance(error, Throttled):
        return True
    if not isinstance(error, Exception):
        return False
    if error_code(error) in THROTTLING_CODES:
        return True
    reasons = set(cancellation_reasons(error))
    return bool(reasons & THROTTLING_REASONS) and CONDITIONAL_CHECK_FAILED not in reasons


def retryable(error: Exception) -> bool:
    """Worth trying again shortly: a transaction conflict or throttling (and no failed condition)."""
    return transaction_conflict(error) or throttled(error)


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]  # low-level items, in query order
    next_cursor: str | None  # None on the last page


def query_page(
    table: str,
    *,
    index: str,
    partition: tuple[str, str],
    limit: int,
    cursor: str | None,
    scope: str,
    key_attributes: Sequence[str],
    newest_first: bool = False,
) -> Page:
    """One page of the items whose `partition` = (attribute, value) on `index`, in sort-key order.

    `scope` names the query the cursor belongs to (e.g. `orders:list:<userId>`): a cursor issued for
    another query, or edited, is a `MalformedRequest` (400)."""
    attribute, value = partition
    request: QueryInputTypeDef = {
        "TableName": table,
        "IndexName": index,
        "KeyConditionExpression": "#p = :p",
        "ExpressionAttributeNames": {"#p": attribute},
        "ExpressionAttributeValues": {":p": {"S": value}},
        "ScanIndexForward": not newest_first,
        "Limit": limit + 1,
    }
    if cursor is not None:
        request["ExclusiveStartKey"] = decode_cursor(cursor, scope=scope)
    items = dynamodb().query(**request).get("Items", [])
    page, more = list(items[:limit]), len(items) > limit
    if not (more and page):
        return Page(page, None)
    last_key = {name: page[-1][name] for name in key_attributes}
    return Page(page, encode_cursor(last_key, scope=scope))
