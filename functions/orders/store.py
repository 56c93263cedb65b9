"""The orders table adapter (DynamoDB, low-level client) and the one read of the catalog table.
No business rules here: callers decide, this module reads and writes atomically.

Items in the orders table:
- order: pk `ORDER#<orderId>`, sk `ORDER`; the order's fields, `version`, `correlationId`, and
  gsi1pk `USER#<userId>` / gsi1sk `<createdAt>#<orderId>` (a user's orders, newest first).
- idempotency record: pk `IDEMPOTENCY#<userId>#<key>`, sk `IDEMPOTENCY`; `requestHash`, `orderId`,
  `expiresAt` (TTL, 24 h).
- outbox entries (`commerce.outbox`).

The catalog table is read with one `BatchGetItem` (read-only, the documented exception to table
ownership: an order is priced from the catalog's own item at the moment it is placed). A hot
product — one whose stock is sharded (`stockShards` >= 2) — is priced from what this execution
environment read of it at most `HOT_PRICE_MAX_AGE` seconds ago, so a flash sale's orders do not all
read its one item (docs/decisions.md §24).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from commerce.aws import dynamodb
from commerce.clock import epoch_now
from commerce.dynamodb import (
    CONDITIONAL_CHECK_FAILED,
    Page,
    TableAdapter,
    Throttled,
    cancellation_reasons,
    query_page,
    throttled,
)
from commerce.environment_cache import EnvironmentCache
from commerce.items import plain_item, to_attribute_values
from commerce.outbox import outbox_put
from commerce.retry import delays, retry
from orders import domain
from orders.ports import EventAlreadyRecorded, IdempotencyKeyTaken, StoredOrder, TransitionConflict

if TYPE_CHECKING:
    pass

ORDER_SK = "ORDER"
IDEMPOTENCY_SK = "IDEMPOTENCY"
LIST_INDEX = "gsi1"
KEY_ATTRIBUTES = ("pk", "sk", "gsi1pk", "gsi1sk")
ORDER_FIELDS = (
    "orderId",
    "userId",
    "status",
    "items",
    "total",
    "paymentMethodId",
    "shippingAddress",
    "createdAt",
    "updatedAt",
)
BATCH_GET_ATTEMPTS = 5
PLACE_THROTTLE_ATTEMPTS = 4
HOT_PRICE_MAX_AGE = 1.0
#: Name and price of sharded (hot) products, per execution environment (commerce.environment_cache).
HOT_PRICES: EnvironmentCache[str, dict[str, Any]] = EnvironmentCache(HOT_PRICE_MAX_AGE)


def order_key(order_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": ORDER_SK}}


def idempotency_key(user_id: str, key: str) -> dict[str, Any]:
    return {"pk": {"S": f"IDEMPOTENCY#{user_id}#{key}"}, "sk": {"S": IDEMPOTENCY_SK}}


def _record(item: dict[str, Any]) -> dict[str, Any]:
    return plain_item(item)


def _stored_order(item: dict[str, Any]) -> StoredOrder:
    record = _record(item)
    order = {field: record[field] for field in ORDER_FIELDS if field in record}
    return StoredOrder(order=order, version=int(record.get("version", 1)))


@dataclass(frozen=True)
class DynamoOrderStore(TableAdapter):
    catalog_table: str = ""  # only POST /orders reads the catalog (CATALOG_TABLE_NAME)

    @classmethod
    def from_env(cls) -> DynamoOrderStore:
        return cls(table=os.environ["TABLE_NAME"], catalog_table=os.environ.get("CATALOG_TABLE_NAME", ""))

    # ---- placing --------------------------------------------------------------------------

    def read_for_placement(
        self, user_id: str, key: str, product_ids: list[str]
    ) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
        """The live idempotency record for (user, key) and the catalog's {name, price} for each
        product that exists — in ONE BatchGetItem over both tables (retried only for keys that
        DynamoDB returns unprocessed under throttling; `Throttled` if they stay so). Hot products
        priced within the last second are not read again."""
        products: dict[str, dict[str, Any]] = {}
        unread = []
        for product_id in dict.fromkeys(product_ids):
            known = HOT_PRICES.get(product_id)
            if known is None:
                unread.append(product_id)
            else:
                products[product_id] = known
        request: dict[str, Any] = {
            self.table: {"Keys": [idempotency_key(user_id, key)], "ConsistentRead": True},
        }
        if unread:
            request[self.catalog_table] = {
                "Keys": [
                    {"pk": {"S": f"PRODUCT#{product_id}"}, "sk": {"S": "PRODUCT"}} for product_id in unread
                ],
                "ProjectionExpression": "productId, #name, price, stockShards",
                "ExpressionAttributeNames": {"#name": "name"},
            }
        found: dict[str, list[dict[str, Any]]] = {self.catalog_table: [], self.table: []}
        waits = delays(BATCH_GET_ATTEMPTS, base=0.05, cap=0.5)
        while True:
            response: Any = dynamodb().batch_get_item(RequestItems=request)
            for table, items in response.get("Responses", {}).items():
                found.setdefault(table, []).extend(items)
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            wait = next(waits, None)  # back off before retrying throttled keys
            if wait is None:
                raise Throttled("BatchGetItem kept returning unprocessed keys")
            time.sleep(wait)
        for item in found[self.catalog_table]:
            product = _record(item)
            priced = {"name": product["name"], "price": product["price"]}
            products[product["productId"]] = priced
            if int(product.get("stockShards") or 1) >= 2:
                HOT_PRICES.put(product["productId"], priced)
        record = next((_record(item) for item in found[self.table]), None)
        return (record if record and not _expired(record) else None), products

    def idempotency_record(self, user_id: str, key: str) -> dict[str, Any] | None:
        item = self.get_item(idempotency_key(user_id, key))
        record = _record(item) if item else None
        return record if record and not _expired(record) else None

    def place(
        self,
        order: dict[str, Any],
        *,
        idempotency: tuple[str, str],
        request_hash: str,
        ttl_seconds: int,
        event: BaseModel,
        correlation_id: str,
    ) -> None:
        """Idempotency record + order + OrderPlaced outbox entry in ONE TransactWriteItems.

        Raises `IdempotencyKeyTaken` when a live record for the key already exists."""
        user_id, key = idempotency
        now = epoch_now()
        record = {
            "entity": "IdempotencyRecord",
            "requestHash": request_hash,
            "orderId": order["orderId"],
            "createdAt": order["createdAt"],
            "expiresAt": now + ttl_seconds,
        }
        item = {
            "pk": f"ORDER#{order['orderId']}",
            "sk": ORDER_SK,
            "entity": "Order",
            **order,
            "version": 1,
            "correlationId": correlation_id,
            "gsi1pk": f"USER#{order['userId']}",
            "gsi1sk": f"{order['createdAt']}#{order['orderId']}",
        }
        items: Any = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {**idempotency_key(user_id, key), **to_attribute_values(record)},
                    # An expired record (TTL deletion lags) may be replaced.
                    "ConditionExpression": "attribute_not_exists(pk) OR expiresAt <= :now",
                    "ExpressionAttributeValues": {":now": {"N": str(now)}},
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_attribute_values(item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            outbox_put(
                self.table,
                "OrderPlaced",
                event,
                correlation_id=correlation_id,
                event_id=order["orderId"],
            ),
        ]

        def write() -> None:
            dynamodb().transact_write_items(TransactItems=items)

        try:
            # Throttled (a cancelled transaction is not retried by the SDK): try again shortly.
            retry(write, retry_on=throttled, attempts=PLACE_THROTTLE_ATTEMPTS, base=0.05, cap=0.5)
        except Exception as error:
            reasons = cancellation_reasons(error)
            first = reasons[0] if reasons else "None"
            if first in (CONDITIONAL_CHECK_FAILED, "TransactionConflict"):
                raise IdempotencyKeyTaken(contended=first == "TransactionConflict") from error
            raise

    # ---- reading --------------------------------------------------------------------------

    def get(self, order_id: str) -> StoredOrder | None:
        """One strongly consistent GetItem (a GET right after POST must see the order)."""
        item = self.get_item(order_key(order_id))
        if not item or item.get("entity", {}).get("S") != "Order":
            return None
        return _stored_order(item)

    def page_for_user(self, user_id: str, limit: int, cursor: str | None) -> Page:
        """Up to `limit` of the user's orders, newest first (one Query on gsi1), and the next cursor."""
        page = query_page(
            self.table,
            index=LIST_INDEX,
            partition=("gsi1pk", f"USER#{user_id}"),
            limit=limit,
            cursor=cursor,
            scope=domain.list_scope(user_id),
            key_attributes=KEY_ATTRIBUTES,
            newest_first=True,
        )
        return Page([_stored_order(item).order for item in page.items], page.next_cursor)

    # ---- transitions ----------------------------------------------------------------------

    def apply_transition(
        self,
        current: StoredOrder,
        to_status: str,
        *,
        updated_at: str,
        event_name: str,
        event_data: BaseModel,
        event_id: str,
        correlation_id: str,
        attributes: dict[str, Any] | None = None,
    ) -> StoredOrder:
        """Move `current` to `to_status` iff its status and version are still the ones read,
        with the event's outbox entry, in ONE transaction.

        Raises `TransitionConflict` if the order changed meanwhile, `EventAlreadyRecorded` if the
        outbox already holds `event_id`."""
        extra = dict(attributes or {})
        names = {"#status": "status", "#updatedAt": "updatedAt", "#version": "version"}
        values: dict[str, Any] = {
            ":to": {"S": to_status},
            ":from": {"S": current.order["status"]},
            ":updatedAt": {"S": updated_at},
            ":expected": {"N": str(current.version)},
            ":next": {"N": str(current.version + 1)},
        }
        assignments = ["#status = :to", "#updatedAt = :updatedAt", "#version = :next"]
        for index, (name, value) in enumerate(sorted(extra.items())):
            names[f"#a{index}"] = name
            values[f":a{index}"] = to_attribute_values({"v": value})["v"]
            assignments.append(f"#a{index} = :a{index}")
        try:
            dynamodb().transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": order_key(current.order["orderId"]),
                            "UpdateExpression": "SET " + ", ".join(assignments),
                            "ConditionExpression": "#status = :from AND #version = :expected",
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": values,
                        }
                    },
                    outbox_put(
                        self.table,
                        event_name,
                        event_data,
                        correlation_id=correlation_id,
                        event_id=event_id,
                    ),
                ]
            )
        except Exception as error:
            reasons = cancellation_reasons(error)
            if not reasons or throttled(error):
                raise  # throttled: not a conflict, and not worth re-reading for (the consumer defers it)
            if len(reasons) > 1 and reasons[1] == CONDITIONAL_CHECK_FAILED:
                raise EventAlreadyRecorded() from error
            raise TransitionConflict() from error
        order = {**current.order, "status": to_status, "updatedAt": updated_at}
        return StoredOrder(order=order, version=current.version + 1)


def _expired(record: dict[str, Any]) -> bool:
    return int(record.get("expiresAt", 0)) <= epoch_now()
