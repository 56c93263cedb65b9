"""Inventory rules with an in-memory store: all-or-nothing reservations, release once, tombstones."""

from __future__ import annotations

from inventory.domain import (
    AlreadyDecided,
    Line,
    NothingToRelease,
    Released,
    ReservationStatus,
    Reserved,
    Short,
    StockShape,
    merge_lines,
)
from inventory.service import Inventory


class MemoryStock:
    """Unsharded products in memory (sharded cells are exercised against moto, tests/integration)."""

    def __init__(self, **stock: int) -> None:
        self.stock = dict(stock)
        self.reservations: dict[str, tuple[ReservationStatus, tuple[Line, ...]]] = {}
        self.events: list[str] = []

    def stock_of(self, product_ids, *, every_cell=False):
        return {
            pid: StockShape(1, {None: self.stock[pid]}) if pid in self.stock else None for pid in product_ids
        }

    def take(self, order_id, lines, takes, *, correlation_id):
        if order_id in self.reservations:
            return AlreadyDecided()
        short = {
            (t.product_id, t.shard): self.stock[t.product_id]
            for t in takes
            if self.stock[t.product_id] < t.quantity
        }
        if short:
            return Short(short)
        for take in takes:
            self.stock[take.product_id] -= take.quantity
        self.reservations[order_id] = (ReservationStatus.RESERVED, lines)
        self.events.append("StockReserved")
        return Reserved()

    def reshard(self, product_id, shards):
        return False

    def record_failure(self, order_id, product_ids, reason, *, correlation_id):
        if order_id in self.reservations:
            return False
        self.reservations[order_id] = (ReservationStatus.FAILED, ())
        self.events.append("StockReservationFailed")
        return True

    def release(self, order_id, *, correlation_id):
        if order_id not in self.reservations:
            return NothingToRelease(None)
        status, lines = self.reservations[order_id]
        if status is not ReservationStatus.RESERVED:
            return NothingToRelease(status)
        for line in lines:
            self.stock[line.product_id] += line.quantity
        self.reservations[order_id] = (ReservationStatus.RELEASED, lines)
        self.events.append("StockReleased")
        return Released(lines)

    def cancel_before_reservation(self, order_id):
        if order_id in self.reservations:
            return False
        self.reservations[order_id] = (ReservationStatus.CANCELLED, ())
        return True

    def add_stock(self, product_id, quantity, *, event_id):
        return True


def test_lines_for_the_same_product_are_reserved_as_one_quantity() -> None:
    assert merge_lines([("b", 1), ("a", 2), ("b", 3)]) == (Line("a", 2), Line("b", 4))


def test_a_short_line_reserves_nothing_and_records_the_failure() -> None:
    store = MemoryStock(a=5, b=1)
    assert Inventory(store).reserve("o-1", [("a", 2), ("b", 2)], correlation_id="c") == "out of stock"
    assert store.stock == {"a": 5, "b": 1}
    assert store.events == ["StockReservationFailed"]


def test_release_happens_once_whatever_triggers_it() -> None:
    store = MemoryStock(a=5)
    Inventory(store).reserve("o-1", [("a", 3)], correlation_id="c")
    assert Inventory(store).release("o-1", correlation_id="c") == "released"
    assert Inventory(store).release("o-1", correlation_id="c").startswith("nothing to release")
    assert store.stock == {"a": 5}
    assert store.events == ["StockReserved", "StockReleased"]


def test_cancellation_before_the_reservation_blocks_the_late_reservation() -> None:
    store = MemoryStock(a=5)
    assert Inventory(store).release("o-1", correlation_id="c") == "cancelled before reservation"
    assert Inventory(store).reserve("o-1", [("a", 1)], correlation_id="c") == "already decided"
    assert store.stock == {"a": 5}
