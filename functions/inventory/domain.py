"""Stock rules: reserve all of an order's lines or none, release a reservation exactly once, never
let stock go below zero, and never let a late or repeated event create or destroy stock.

A reservation moves RESERVED → RELEASED once. Whatever is decided first for an order wins: a
reservation, a failed reservation (FAILED) or a cancellation seen before the order (CANCELLED, a
tombstone that makes the late reservation a no-op). The store makes each decision one conditional
transaction; this module decides what to ask for and what the answers mean.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class ReservationStatus(StrEnum):
    RESERVED = "RESERVED"
    RELEASED = "RELEASED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class Line:
    product_id: str
    quantity: int


@dataclass(frozen=True)
class Reserved:
    pass


@dataclass(frozen=True)
class OutOfStock:
    product_ids: tuple[str, ...]


@dataclass(frozen=True)
class AlreadyDecided:
    pass


@dataclass(frozen=True)
class Released:
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class NothingToRelease:
    status: ReservationStatus | None


class UnknownProduct(Exception):
    """Stock arrived for a product the catalog does not have."""


class InventoryStore(Protocol):
    def reserve(
        self, order_id: str, lines: tuple[Line, ...], *, correlation_id: str
    ) -> Reserved | OutOfStock | AlreadyDecided:
        """All lines (stock ≥ quantity each) + the reservation + StockReserved, or nothing."""

    def record_failure(
        self, order_id: str, product_ids: tuple[str, ...], reason: str, *, correlation_id: str
    ) -> bool:
        """A FAILED reservation + StockReservationFailed, unless the order was decided already."""

    def release(self, order_id: str, *, correlation_id: str) -> Released | NothingToRelease:
        """RESERVED → RELEASED with the stock given back + StockReleased, or nothing."""

    def cancel_before_reservation(self, order_id: str) -> bool:
        """A CANCELLED tombstone for an order never reserved; False when one exists already."""

    def add_stock(self, product_id: str, quantity: int, *, event_id: str) -> bool:
        """stock += quantity once per event id; False for a repeat; UnknownProduct if missing."""


def merge_lines(lines: Iterable[tuple[str, int]]) -> tuple[Line, ...]:
    """One line per product (a product listed twice is one condition on its total)."""
    totals: dict[str, int] = {}
    for product_id, quantity in lines:
        totals[product_id] = totals.get(product_id, 0) + quantity
    return tuple(Line(product_id, quantity) for product_id, quantity in sorted(totals.items()))


def reserve(
    store: InventoryStore, order_id: str, lines: Iterable[tuple[str, int]], *, correlation_id: str
) -> str:
    outcome = store.reserve(order_id, merge_lines(lines), correlation_id=correlation_id)
    if isinstance(outcome, Reserved):
        return "reserved"
    if isinstance(outcome, AlreadyDecided):
        return "already decided"
    reason = "out of stock: " + ", ".join(outcome.product_ids)
    recorded = store.record_failure(order_id, outcome.product_ids, reason, correlation_id=correlation_id)
    return "out of stock" if recorded else "already decided"


def release(store: InventoryStore, order_id: str, *, correlation_id: str) -> str:
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


def replenish(store: InventoryStore, product_id: str, quantity: int, *, event_id: str) -> str:
    return (
        "replenished" if store.add_stock(product_id, quantity, event_id=event_id) else "already replenished"
    )
