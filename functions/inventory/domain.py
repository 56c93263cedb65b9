"""Stock rules: reserve all of an order's lines or none, release a reservation exactly once, never
let stock go below zero, and never let a late or repeated event create or destroy stock.

A reservation moves RESERVED → RELEASED once. Whatever is decided first for an order wins: a
reservation, a failed reservation (FAILED) or a cancellation seen before the order (CANCELLED, a
tombstone that makes the late reservation a no-op). The store makes each decision one conditional
transaction; the use cases (inventory.service) decide what to ask for and what the answers mean.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


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


def merge_lines(lines: Iterable[tuple[str, int]]) -> tuple[Line, ...]:
    """One line per product (a product listed twice is one condition on its total)."""
    totals: dict[str, int] = {}
    for product_id, quantity in lines:
        totals[product_id] = totals.get(product_id, 0) + quantity
    return tuple(Line(product_id, quantity) for product_id, quantity in sorted(totals.items()))
