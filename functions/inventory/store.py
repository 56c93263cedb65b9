"""Inventory's adapter over the catalog table (inventory is part of the catalog bounded context).

    PRODUCT#<productId>                   / PRODUCT      the catalog's product; its `stock` is the base cell,
                                                         `stockShards` N (commerce.stock)
    STOCK#<productId>#<k>                 / STOCK        shard k of a sharded product's stock
    RESERVATION#<orderId>                 / RESERVATION  status RESERVED|RELEASED|FAILED|CANCELLED, lines
    EVENT#inventory-replenish#<eventId>   / EVENT        a StockReplenished already applied (TTL)
    OUTBOX#<eventId>                      / OUTBOX       events on their way to the bus

Every decision is one `TransactWriteItems`: the takes (each conditional `stock >= :q` on its cell,
returning the cell's item when refused, so the use case learns what it held), the reservation item
(conditional on its absence or its status) and the outbox entry. Event ids are derived from the
order and the event name, so a decision can publish its event only once. Transaction conflicts and
throttling are retried here (`commerce.retry`, with jitter) rather than through SQS.

What a sharded product looks like is remembered per execution environment (commerce.environment_cache):
its shard count for `SHARDS_MAX_AGE` s, and what a cell was seen to hold for `CELLS_MAX_AGE` s, so a
flash sale's reservations neither read the hot product item each time nor probe shards that were
just seen empty (docs/decisions.md §24). Unsharded products are read afresh for every order, as
before. Releases give units back to the product item (always a live cell); replenishments of a
sharded product are spread over its shards, guarded by its shard count.
"""

from __future__ import annotations

import functools
import uuid
import zlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.metrics import MetricUnit

from commerce.aws import dynamodb
from commerce.clock import epoch_now
from commerce.dynamodb import (
    CONDITIONAL_CHECK_FAILED,
    THROTTLING_REASONS,
    TableAdapter,
    Throttled,
    applied,
    cancellation_reasons,
    condition_failed,
    retryable,
    throttled,
    transaction_conflict,
)
from commerce.environment_cache import EnvironmentCache
from commerce.events import OrderLine, StockReleased, StockReservationFailed, StockReserved
from commerce.items import to_attribute_values
from commerce.observability import logger, metrics
from commerce.outbox import outbox_put
from commerce.retry import retry
from commerce.stock import distribute, grow
from commerce.stock_store import batch_get, product_key, read_cells, reshard_transaction, shard_key, shards_of
from inventory.domain import (
    AlreadyDecided,
    Cell,
    Hot,
    Line,
    NothingToRelease,
    Released,
    ReservationStatus,
    Reserved,
    Short,
    StockShape,
    Take,
    UnknownProduct,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

_EVENT_NAMESPACE = uuid.UUID("0f0a6a4e-6f5e-4d0b-9d8a-6a1b3c9e2f11")
MARKER_RETENTION_SECONDS = 30 * 24 * 3600
CONFLICT_ATTEMPTS = 8
SHARDS_MAX_AGE = 5.0
CELLS_MAX_AGE = 1.0
RESHARD_PAUSE = 10.0  # one automatic reshard attempt per product per environment in this long
RESHARD_METRIC = "StockResharded"

SHARDS: EnvironmentCache[str, int] = EnvironmentCache(SHARDS_MAX_AGE)
CELLS: EnvironmentCache[Cell, int] = EnvironmentCache(CELLS_MAX_AGE)
#: A sharded product's cells are read in full at most this often per environment (refusals of a
#: sold-out product meanwhile trust what was read; a release in this environment forgets it).
FULL_READ_PAUSE = 0.1
READ_IN_FULL: EnvironmentCache[str, bool] = EnvironmentCache(FULL_READ_PAUSE)
RESHARD_ATTEMPTED: EnvironmentCache[str, bool] = EnvironmentCache(RESHARD_PAUSE)

T = TypeVar("T")


def event_id(order_id: str, name: str) -> str:
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"inventory/{order_id}/{name}"))


def _reservation_key(order_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"RESERVATION#{order_id}"}, "sk": {"S": "RESERVATION"}}


def _with_conflict_retries(attempt: Callable[[], T], retry_on: Callable[[Exception], bool] = retryable) -> T:
    """Concurrent transactions on one product conflict, and a hot partition is throttled: try again
    shortly rather than via SQS."""
    return retry(attempt, retry_on=retry_on, attempts=CONFLICT_ATTEMPTS, base=0.02, cap=1.0)


def _apply_stock_added(items: list[TransactWriteItemTypeDef]) -> bool | None:
    """True: added; False: this event was applied before; None: the product vanished or was
    resharded since it was read."""
    try:
        dynamodb().transact_write_items(TransactItems=items)
    except Exception as error:
        if condition_failed(error, len(items) - 1):
            return False
        if condition_failed(error, 0):
            return None
        raise
    return True


def _cell_key(take: Take) -> dict[str, Any]:
    return product_key(take.product_id) if take.shard is None else shard_key(take.product_id, take.shard)


def _held(item: dict[str, Any] | None) -> int:
    return int(item["stock"]["N"]) if item and "stock" in item else 0


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
                "Key": product_key(line.product_id),
                "UpdateExpression": f"SET stock = stock {'-' if taken else '+'} :q ADD version :one",
                "ConditionExpression": "attribute_exists(pk) AND stock >= :q"
                if taken
                else "attribute_exists(pk)",
                "ExpressionAttributeValues": {":q": {"N": str(line.quantity)}, ":one": {"N": "1"}},
            }
        }

    def _take(self, take: Take) -> TransactWriteItemTypeDef:
        """`stock -= q` on the take's cell if it holds that much; refused, it returns the cell's item."""
        base = take.shard is None
        return {
            "Update": {
                "TableName": self.table,
                "Key": _cell_key(take),
                # The product item's version moves with its stock (decision 1); shards have none.
                "UpdateExpression": "SET stock = stock - :q" + (" ADD version :one" if base else ""),
                "ConditionExpression": "attribute_exists(pk) AND stock >= :q",
                "ExpressionAttributeValues": {
                    ":q": {"N": str(take.quantity)},
                    **({":one": {"N": "1"}} if base else {}),
                },
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def stock_of(
        self, product_ids: Iterable[str], *, every_cell: bool = False
    ) -> dict[str, StockShape | None]:
        """Sharded products from this environment's memory; the others with one consistent
        BatchGetItem (as before sharding: their stock decides the plan). A throttled read leaves
        a product unknown (the conditional writes decide).

        `every_cell`: what each cell holds now, read in one consistent snapshot (after a refused
        take, so a sharded product is not probed cell by cell); a throttled read leaves it out."""
        if every_cell:
            read = {product_id: self._every_cell(product_id) for product_id in dict.fromkeys(product_ids)}
            return {product_id: shape for product_id, (known, shape) in read.items() if known}
        shapes: dict[str, StockShape | None] = {}
        unread: list[str] = []
        for product_id in dict.fromkeys(product_ids):
            shards = SHARDS.get(product_id)
            if shards is None:
                unread.append(product_id)
            else:
                shapes[product_id] = StockShape(shards, self._remembered(product_id, shards))
        if not unread:
            return shapes
        try:
            items = batch_get(self.table, [product_key(pid) for pid in unread], consistent=True)
        except Throttled:
            return {**shapes, **{pid: StockShape(1) for pid in unread}}
        found = {str(item["productId"]["S"]): item for item in items if "productId" in item}
        for product_id in unread:
            item = found.get(product_id)
            if item is None:
                shapes[product_id] = None
                continue
            shards = shards_of(item)
            base = _held(item)
            if shards >= 2:
                SHARDS.put(product_id, shards)
                CELLS.put((product_id, None), base)
                shapes[product_id] = StockShape(shards, {**self._remembered(product_id, shards), None: base})
            else:
                shapes[product_id] = StockShape(1, {None: base})
        return shapes

    def _every_cell(self, product_id: str) -> tuple[bool, StockShape | None]:
        """(whether it could be read, its shape: None if there is no such product)."""
        shards = SHARDS.get(product_id)
        if shards is not None and READ_IN_FULL.get(product_id):
            # Read in full a moment ago: what this environment learnt since is as good, and a sold-
            # out product's refusals do not each read every cell (2 RCU a cell: the shard
            # partitions would throttle at a flash sale's thousands of refusals a second).
            remembered = self._remembered(product_id, shards)
            if len(remembered) == shards + 1:
                return True, StockShape(shards, remembered)
        try:
            cells = read_cells(self.table, product_id)
        except Exception as error:
            if not throttled(error):
                raise
            return False, None
        if cells is None:
            return True, None
        if cells.shards < 2:
            return True, StockShape(1, {None: cells.base})
        known: dict[int | None, int] = {None: cells.base}
        known.update({shard: cells.stock_of(shard) for shard in range(cells.shards)})
        SHARDS.put(product_id, cells.shards)
        for cell, held in known.items():
            CELLS.put((product_id, cell), held)
        READ_IN_FULL.put(product_id, True)
        return True, StockShape(cells.shards, known)

    @staticmethod
    def _remembered(product_id: str, shards: int) -> dict[int | None, int]:
        known: dict[int | None, int] = {}
        for cell in [*range(shards), None]:
            held = CELLS.get((product_id, cell))
            if held is not None:
                known[cell] = held
        return known

    def take(
        self, order_id: str, lines: tuple[Line, ...], takes: tuple[Take, ...], *, correlation_id: str
    ) -> Reserved | AlreadyDecided | Short | Hot:
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
        items.extend(self._take(take) for take in takes)
        items.append(
            outbox_put(
                self.table,
                "StockReserved",
                StockReserved(orderId=order_id, items=_order_lines(lines)),
                event_id=event_id(order_id, "StockReserved"),
                correlation_id=correlation_id,
            )
        )

        def attempt() -> Reserved | AlreadyDecided | Short:
            try:
                dynamodb().transact_write_items(TransactItems=items)
            except Exception as error:
                reasons = cancellation_reasons(error)
                if CONDITIONAL_CHECK_FAILED not in reasons:
                    raise
                if reasons[0] == CONDITIONAL_CHECK_FAILED or reasons[-1] == CONDITIONAL_CHECK_FAILED:
                    return AlreadyDecided()
                return self._short(takes, error)
            return Reserved()

        sharded = any(take.shard is not None for take in takes)
        try:
            # A throttled shard is one hot partition among several: say so at once (the use case
            # tries another shard) rather than retrying it; an unsharded product has no other.
            outcome = _with_conflict_retries(attempt, transaction_conflict if sharded else retryable)
        except Exception as error:
            if not throttled(error):
                raise
            return Hot(
                product_ids=self._throttled_products(takes, error), cells=self._throttled_cells(takes, error)
            )
        if isinstance(outcome, Reserved):
            for take in takes:  # what this environment remembers of a cell stays right
                held = CELLS.get((take.product_id, take.shard))
                if held is not None:
                    CELLS.put((take.product_id, take.shard), max(0, held - take.quantity))
        return outcome

    @staticmethod
    def _short(takes: tuple[Take, ...], error: Exception) -> Short:
        """What each refused take's cell held (its item, returned with the refusal)."""
        reasons = (getattr(error, "response", None) or {}).get("CancellationReasons") or []
        observed: dict[Cell, int] = {}
        for take, reason in zip(takes, reasons[1:-1], strict=False):
            if reason.get("Code") == CONDITIONAL_CHECK_FAILED:
                item = reason.get("Item")
                observed[(take.product_id, take.shard)] = _held(item)
                CELLS.put((take.product_id, take.shard), _held(item))
                if take.shard is None and item and shards_of(item) >= 2:
                    SHARDS.put(take.product_id, shards_of(item))  # sharded since it was last read
        return Short(observed=observed)

    @staticmethod
    def _throttled_products(takes: tuple[Take, ...], error: Exception) -> tuple[str, ...]:
        reasons = cancellation_reasons(error)
        hot = [take.product_id for take, code in zip(takes, reasons[1:-1], strict=False) if code != "None"]
        return tuple(dict.fromkeys(hot or [take.product_id for take in takes]))

    @staticmethod
    def _throttled_cells(takes: tuple[Take, ...], error: Exception) -> tuple[Cell, ...]:
        """The takes' cells whose writes alone were throttled (each its own partition: another cell
        may take the line now); none when DynamoDB does not say which, or throttled the reservation
        or the outbox entry too (then the table is what is busy, and every cell would be refused)."""
        reasons = cancellation_reasons(error)
        if not reasons or reasons[0] in THROTTLING_REASONS or reasons[-1] in THROTTLING_REASONS:
            return ()
        return tuple(
            dict.fromkeys(
                (take.product_id, take.shard)
                for take, code in zip(takes, reasons[1:-1], strict=False)
                if code in THROTTLING_REASONS
            )
        )

    def reshard(self, product_id: str, shards: int) -> bool:
        if RESHARD_ATTEMPTED.get(product_id):
            return False
        RESHARD_ATTEMPTED.put(product_id, True)
        cells = read_cells(self.table, product_id)
        if cells is None or cells.shards >= shards:
            return False
        items = reshard_transaction(self.table, cells, grow(cells, shards))
        if not applied(
            lambda: _with_conflict_retries(lambda: dynamodb().transact_write_items(TransactItems=items))
        ):
            return False
        SHARDS.put(product_id, shards)
        for cell in [*range(shards), None]:
            CELLS.forget((product_id, cell))
        logger.info("product resharded", extra={"product_id": product_id, "from": cells.shards, "to": shards})
        metrics.add_metric(name=RESHARD_METRIC, unit=MetricUnit.Count, value=1)
        return True

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

        outcome = _with_conflict_retries(attempt)
        if isinstance(outcome, Released):
            for line in lines:  # the units are back in the product item: read it before refusing
                CELLS.forget((line.product_id, None))
                READ_IN_FULL.forget(line.product_id)
        return outcome

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
        for _ in range(3):  # the product's shard count may change meanwhile: read it again
            item = self.get_item(product_key(product_id))
            if item is None:
                raise UnknownProduct(product_id)
            shards = shards_of(item)
            items = self._stock_added(product_id, quantity, shards, event_id)
            added = _with_conflict_retries(functools.partial(_apply_stock_added, items))
            if added is not None:
                return added
        raise UnknownProduct(product_id)

    def _stock_added(
        self, product_id: str, quantity: int, shards: int, event_id: str
    ) -> list[TransactWriteItemTypeDef]:
        """`stock += quantity` (unsharded) or spread over the shards (guarded by the shard count),
        with the event's marker last."""
        now = epoch_now()
        items: list[TransactWriteItemTypeDef]
        if shards < 2:
            items = [
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": product_key(product_id),
                        "UpdateExpression": "SET stock = if_not_exists(stock, :zero) + :q ADD version :one",
                        "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(stockShards)",
                        "ExpressionAttributeValues": {
                            ":q": {"N": str(quantity)},
                            ":zero": {"N": "0"},
                            ":one": {"N": "1"},
                        },
                    }
                }
            ]
        else:
            items = [
                {
                    "ConditionCheck": {
                        "TableName": self.table,
                        "Key": product_key(product_id),
                        "ConditionExpression": "attribute_exists(pk) AND stockShards = :n",
                        "ExpressionAttributeValues": {":n": {"N": str(shards)}},
                    }
                }
            ]
            start = zlib.crc32(event_id.encode()) % shards
            for shard, share in enumerate(distribute(quantity, shards, start)):
                if share:
                    items.append(
                        {
                            "Update": {
                                "TableName": self.table,
                                "Key": shard_key(product_id, shard),
                                "UpdateExpression": (
                                    "SET stock = if_not_exists(stock, :zero) + :q, productId = :pid"
                                ),
                                "ExpressionAttributeValues": {
                                    ":q": {"N": str(share)},
                                    ":zero": {"N": "0"},
                                    ":pid": {"S": product_id},
                                },
                            }
                        }
                    )
        items.append(
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
            }
        )
        return items
