"""Inventory's adapter over the catalog table (inventory is part of the catalog bounded context).

    PRODUCT#<productId>                   / PRODUCT      the catalog's product; `stock` (number) lives here
    RESERVATION#<orderId>                 / RESERVATION  status RESERVED|RELEASED|FAILED|CANCELLED, lines
    EVENT#inventory-replenish#<eventId>   / EVENT        a StockReplenished already applied (TTL)
    OUTBOX#<eventId>                      / OUTBOX       events on their way to the bus

Every decision is one `TransactWriteItems`: the stock updates (conditional `stock >= :q`), the
reservation item (conditional on its absence or its status) and the outbox entry. Event ids are
derived from the order and the event name, so a decision can publish its event only once.
Transaction conflicts between concurrent orders for the same product are retried here
(`commerce.retry`, with jitter) rather than through SQS.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from commerce.aws import dynamodb
from commerce.clock import epoch_now
from commerce.dynamodb import (
    CONDITIONAL_CHECK_FAILED,
    TableAdapter,
    applied,
    cancellation_reasons,
    condition_failed,
    transaction_conflict,
)
from commerce.events import OrderLine, StockReleased, StockReservationFailed, StockReserved
from commerce.items import to_attribute_values
from commerce.outbox import outbox_put
from commerce.retry import retry
from inventory.domain import (
    AlreadyDecided,
    Line,
    NothingToRelease,
    OutOfStock,
    Released,
    ReservationStatus,
    Reserved,
    UnknownProduct,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

_EVENT_NAMESPACE = uuid.UUID("0f0a6a4e-6f5e-4d0b-9d8a-6a1b3c9e2f11")
MARKER_RETENTION_SECONDS = 30 * 24 * 3600
CONFLICT_ATTEMPTS = 8

T = TypeVar("T")


def event_id(order_id: str, name: str) -> str:
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"inventory/{order_id}/{name}"))


def _product_key(product_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"PRODUCT#{product_id}"}, "sk": {"S": "PRODUCT"}}


def _reservation_key(order_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"RESERVATION#{order_id}"}, "sk": {"S": "RESERVATION"}}


def _with_conflict_retries(attempt: Callable[[], T]) -> T:
    """Concurrent transactions on one product conflict; try again shortly rather than via SQS."""
    return retry(attempt, retry_on=transaction_conflict, attempts=CONFLICT_ATTEMPTS, base=0.02, cap=1.0)


def _reservation(order_id: str, status: ReservationStatus, created_at: int) -> dict[str, Any]:
    """The reservation item of an order (low-level attribute values), without its lines."""
    return {
        **_reservation_key(order_id),
        "entity": {"S": "Reservation"},
        "orderId": {"S": order_id},
        "status": {"S": status.value},
        "createdAt": {"N": str(created_at)},
    }


def _lines_value(lines: tuple[Line, ...]) -> dict[str, Any]:
    return {
        "L": [
            {"M": {"productId": {"S": line.product_id}, "quantity": {"N": str(line.quantity)}}}
            for line in lines
        ]
    }


def _order_lines(lines: tuple[Line, ...]) -> list[OrderLine]:
    return [OrderLine(productId=line.product_id, quantity=line.quantity) for line in lines]


class DynamoInventoryStore(TableAdapter):
    def _stock_change(self, line: Line, *, taken: bool) -> TransactWriteItemTypeDef:
        """The product item's stock moved by the line (never below zero when taken), version + 1."""
        return {
            "Update": {
                "TableName": self.table,
                "Key": _product_key(line.product_id),
                "UpdateExpression": f"SET stock = stock {'-' if taken else '+'} :q ADD version :one",
                "ConditionExpression": "attribute_exists(pk) AND stock >= :q"
                if taken
                else "attribute_exists(pk)",
                "ExpressionAttributeValues": {":q": {"N": str(line.quantity)}, ":one": {"N": "1"}},
            }
        }

    def short_lines(self, lines: tuple[Line, ...]) -> tuple[str, ...]:
        """Products that (as of a consistent read) cannot cover their line. The transaction still
        decides; this only spares a write that is bound to be cancelled."""
        keys = [_product_key(line.product_id) for line in lines]
        response = dynamodb().batch_get_item(
            RequestItems={
                self.table: {"Keys": keys, "ConsistentRead": True, "ProjectionExpression": "productId, stock"}
            }
        )
        if response.get("UnprocessedKeys"):
            return ()  # unknown: let the transaction decide
        stock = {
            item["productId"]["S"]: int(item.get("stock", {}).get("N", "0"))
            for item in response.get("Responses", {}).get(self.table, [])
            if "productId" in item
        }
        return tuple(line.product_id for line in lines if stock.get(line.product_id, 0) < line.quantity)

    def reserve(
        self, order_id: str, lines: tuple[Line, ...], *, correlation_id: str
    ) -> Reserved | OutOfStock | AlreadyDecided:
        short = self.short_lines(lines)
        if short:
            return OutOfStock(product_ids=short)
        now = epoch_now()
        items: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        **_reservation(order_id, ReservationStatus.RESERVED, now),
                        "lines": _lines_value(lines),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        items.extend(self._stock_change(line, taken=True) for line in lines)
        items.append(
            outbox_put(
                self.table,
                "StockReserved",
                StockReserved(orderId=order_id, items=_order_lines(lines)),
                event_id=event_id(order_id, "StockReserved"),
                correlation_id=correlation_id,
            )
        )

        def attempt() -> Reserved | OutOfStock | AlreadyDecided:
            try:
                dynamodb().transact_write_items(TransactItems=items)
            except Exception as error:
                reasons = cancellation_reasons(error)
                if CONDITIONAL_CHECK_FAILED not in reasons:
                    raise
                if reasons[0] == CONDITIONAL_CHECK_FAILED or reasons[-1] == CONDITIONAL_CHECK_FAILED:
                    return AlreadyDecided()
                short = tuple(
                    line.product_id
                    for line, code in zip(lines, reasons[1:-1], strict=False)
                    if code == CONDITIONAL_CHECK_FAILED
                )
                return OutOfStock(product_ids=short)
            return Reserved()

        return _with_conflict_retries(attempt)

    def record_failure(
        self, order_id: str, product_ids: tuple[str, ...], reason: str, *, correlation_id: str
    ) -> bool:
        items: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": _reservation(order_id, ReservationStatus.FAILED, epoch_now()),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            outbox_put(
                self.table,
                "StockReservationFailed",
                StockReservationFailed(orderId=order_id, reason=reason, productIds=list(product_ids)),
                event_id=event_id(order_id, "StockReservationFailed"),
                correlation_id=correlation_id,
            ),
        ]
        return applied(lambda: dynamodb().transact_write_items(TransactItems=items))

    def release(self, order_id: str, *, correlation_id: str) -> Released | NothingToRelease:
        item = self.get_item(_reservation_key(order_id))
        if not item:
            return NothingToRelease(status=None)
        status = ReservationStatus(item["status"]["S"])
        if status is not ReservationStatus.RESERVED:
            return NothingToRelease(status=status)
        lines = tuple(
            Line(entry["M"]["productId"]["S"], int(entry["M"]["quantity"]["N"]))
            for entry in item.get("lines", {}).get("L", [])
        )
        items: list[TransactWriteItemTypeDef] = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": _reservation_key(order_id),
                    "UpdateExpression": "SET #status = :released, releasedAt = :now",
                    "ConditionExpression": "#status = :reserved",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":released": {"S": ReservationStatus.RELEASED.value},
                        ":reserved": {"S": ReservationStatus.RESERVED.value},
                        ":now": {"N": str(epoch_now())},
                    },
                }
            }
        ]
        items.extend(self._stock_change(line, taken=False) for line in lines)
        items.append(
            outbox_put(
                self.table,
                "StockReleased",
                StockReleased(orderId=order_id, items=_order_lines(lines)),
                event_id=event_id(order_id, "StockReleased"),
                correlation_id=correlation_id,
            )
        )

        def attempt() -> Released | NothingToRelease:
            try:
                dynamodb().transact_write_items(TransactItems=items)
            except Exception as error:
                reasons = cancellation_reasons(error)
                if reasons and (
                    reasons[0] == CONDITIONAL_CHECK_FAILED or reasons[-1] == CONDITIONAL_CHECK_FAILED
                ):
                    return NothingToRelease(status=ReservationStatus.RELEASED)
                raise
            return Released(lines=lines)

        return _with_conflict_retries(attempt)

    def cancel_before_reservation(self, order_id: str) -> bool:
        now = epoch_now()
        return applied(
            lambda: dynamodb().put_item(
                TableName=self.table,
                Item={
                    **_reservation(order_id, ReservationStatus.CANCELLED, now),
                    "expiresAt": {"N": str(now + MARKER_RETENTION_SECONDS)},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        )

    def add_stock(self, product_id: str, quantity: int, *, event_id: str) -> bool:
        now = epoch_now()
        items: list[TransactWriteItemTypeDef] = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": _product_key(product_id),
                    "UpdateExpression": "SET stock = if_not_exists(stock, :zero) + :q ADD version :one",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {
                        ":q": {"N": str(quantity)},
                        ":zero": {"N": "0"},
                        ":one": {"N": "1"},
                    },
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_attribute_values(
                        {
                            "pk": f"EVENT#inventory-replenish#{event_id}",
                            "sk": "EVENT",
                            "productId": product_id,
                            "quantity": quantity,
                            "appliedAt": now,
                            "expiresAt": now + MARKER_RETENTION_SECONDS,
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]

        def attempt() -> bool:
            try:
                dynamodb().transact_write_items(TransactItems=items)
            except Exception as error:
                if condition_failed(error, 1):
                    return False
                if condition_failed(error, 0):
                    raise UnknownProduct(product_id) from error
                raise
            return True

        return _with_conflict_retries(attempt)
