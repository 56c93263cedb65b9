"""Inventory use cases: reserve all of an order's lines or none, release a reservation once, add
replenished stock once per event. Each returns what happened (for logs and tests)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from commerce.stock import MAX_SHARDS
from inventory.domain import (
    AUTO_SHARDS_MAX,
    AlreadyDecided,
    Busy,
    Cell,
    Hot,
    OutOfStock,
    Released,
    Reserved,
    Short,
    StockBusy,
    StockShape,
    auto_shards,
    learn,
    merge_lines,
    plan_reservation,
)
from inventory.ports import InventoryStore

#: Plans tried per reservation: each refused one teaches what a short cell held, so a line settles
#: in at most a few (a product has at most 32 shards, and a sold-out shard is remembered).
RESERVE_ATTEMPTS = 12


def _sharded(shape: StockShape | None) -> bool:
    return shape is not None and shape.shards >= 2


@dataclass(frozen=True)
class Inventory:
    store: InventoryStore
    auto_shards_max: int = AUTO_SHARDS_MAX  # 0 or 1: never shard automatically

    def reserve(self, order_id: str, lines: Iterable[tuple[str, int]], *, correlation_id: str) -> str:
        store = self.store
        merged = merge_lines(lines)
        shapes = store.stock_of(line.product_id for line in merged)
        refreshed = False
        busy: frozenset[Cell] = frozenset()  # shards whose writes were just throttled: try others
        # Each throttled try marks at least one more cell busy, so those tries are bounded too.
        for _ in range(RESERVE_ATTEMPTS + MAX_SHARDS + 1):
            planned = plan_reservation(order_id, merged, shapes, busy)
            if isinstance(planned, Busy):
                remembered = [pid for pid in planned.product_ids if _sharded(shapes.get(pid))]
                if remembered and not refreshed:
                    # Before deferring, what the cells hold now (reads are not the throttled writes):
                    # a sold-out product is refused rather than retried.
                    refreshed = True
                    shapes = {**shapes, **store.stock_of(remembered, every_cell=True)}
                    continue
                self._shard_hot_products(Hot(planned.product_ids), shapes)
                raise StockBusy(planned.product_ids)
            if isinstance(planned, OutOfStock) and not refreshed:
                # What this environment remembers of a sharded product may be a second old (a
                # release since then put units back): refuse only on what the cells hold now.
                refreshed = True
                remembered = [pid for pid in planned.product_ids if _sharded(shapes.get(pid))]
                if remembered:
                    shapes = {**shapes, **store.stock_of(remembered, every_cell=True)}
                    continue
            if isinstance(planned, OutOfStock):
                reason = "out of stock: " + ", ".join(planned.product_ids)
                recorded = store.record_failure(
                    order_id, planned.product_ids, reason, correlation_id=correlation_id
                )
                return "out of stock" if recorded else "already decided"
            outcome = store.take(order_id, merged, planned.takes, correlation_id=correlation_id)
            if isinstance(outcome, Reserved):
                return "reserved"
            if isinstance(outcome, AlreadyDecided):
                return "already decided"
            if isinstance(outcome, Short):
                shapes = learn(shapes, outcome.observed)
                # A sharded product's other cells may be empty too: read them all once rather than
                # probing one cell per attempt (16 shards outlast RESERVE_ATTEMPTS).
                short = sorted({pid for pid, _ in outcome.observed if _sharded(shapes.get(pid))})
                if short and not refreshed:
                    refreshed = True
                    shapes = {**shapes, **store.stock_of(short, every_cell=True)}
                continue
            cells = {cell for cell in outcome.cells if _sharded(shapes.get(cell[0]))}
            if cells - busy:
                # A throttled cell of a sharded product is one hot partition: another may take the
                # order now.
                busy = busy | cells
                continue
            self._shard_hot_products(outcome, shapes)
            raise StockBusy(outcome.product_ids)
        raise RuntimeError(f"the stock of order {order_id}'s products kept changing")

    def _shard_hot_products(self, hot: Hot, shapes: Mapping[str, StockShape | None]) -> None:
        """A product whose writes DynamoDB throttles gets more shards (the message is retried)."""
        for product_id in hot.product_ids:
            shape = shapes.get(product_id)
            target = auto_shards(shape.shards if shape else 1, self.auto_shards_max)
            if target is not None:
                self.store.reshard(product_id, target)

    def release(self, order_id: str, *, correlation_id: str) -> str:
        store = self.store
        for _ in range(3):
            outcome = store.release(order_id, correlation_id=correlation_id)
            if isinstance(outcome, Released):
                return "released"
            if outcome.status is not None:
                return f"nothing to release: reservation is {outcome.status}"
            # Cancelled before the order was reserved: leave a tombstone so the late reservation is skipped.
            if store.cancel_before_reservation(order_id):
                return "cancelled before reservation"
        return "already decided"

    def replenish(self, product_id: str, quantity: int, *, event_id: str) -> str:
        added = self.store.add_stock(product_id, quantity, event_id=event_id)
        return "replenished" if added else "already replenished"
