"""Stock rules: reserve all of an order's lines or none, release a reservation exactly once, never
let stock go below zero, and never let a late or repeated event create or destroy stock.

A reservation moves RESERVED → RELEASED once. Whatever is decided first for an order wins: a
reservation, a failed reservation (FAILED) or a cancellation seen before the order (CANCELLED, a
tombstone that makes the late reservation a no-op). The store makes each decision one conditional
transaction; the use cases (inventory.service) decide what to ask for and what the answers mean.

A product's units may be split across shard items (commerce.stock: a hot product's stock in N
cells, each its own DynamoDB partition). A reservation takes each line from one cell that has
enough — cells tried in an order that starts at a point derived from the order id, so concurrent
orders spread over the shards — and falls back to the others when one is short, the product item
(the base) last; only when every cell is known to be short does a line fail. What a cell holds is
known only as of a read or a refused write: the plan assumes enough where it does not know, and
every take is a conditional write (`stock >= q`), so a stale plan is refused, never oversells.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from commerce.errors import RateLimited

#: Auto-sharding doubles a product's shards when its writes are throttled, up to this many.
AUTO_SHARDS_MAX = 16


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
class Take:
    """`quantity` of a product from one cell: shard `shard`, or the product item (None)."""

    product_id: str
    shard: int | None
    quantity: int


Cell = tuple[str, int | None]  # (product id, shard or None for the product item)


@dataclass(frozen=True)
class StockShape:
    """What a reservation knows of a product: its shard count and what some cells held lately."""

    shards: int
    known: Mapping[int | None, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Short:
    """Cells that could not cover their take, with what they held then (a refused write says)."""

    observed: Mapping[Cell, int]


@dataclass(frozen=True)
class Hot:
    """DynamoDB throttled the writes to these products' cells (`cells`: which ones, when known)."""

    product_ids: tuple[str, ...]
    cells: tuple[Cell, ...] = ()


@dataclass(frozen=True)
class Busy:
    """Only cells throttled a moment ago could cover these products' lines: try again shortly."""

    product_ids: tuple[str, ...]


@dataclass(frozen=True)
class Planned:
    takes: tuple[Take, ...]


@dataclass(frozen=True)
class Released:
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class NothingToRelease:
    status: ReservationStatus | None


class UnknownProduct(Exception):
    """Stock arrived for a product the catalog does not have."""


class StockBusy(RateLimited):
    """DynamoDB keeps throttling writes to these products' stock: try again shortly (the consumer
    defers the message rather than spending its receives)."""

    def __init__(self, product_ids: tuple[str, ...]) -> None:
        super().__init__(f"stock writes throttled: {', '.join(product_ids)}", retry_after_seconds=1)
        self.product_ids = product_ids


def merge_lines(lines: Iterable[tuple[str, int]]) -> tuple[Line, ...]:
    """One line per product (a product listed twice is one condition on its total)."""
    totals: dict[str, int] = {}
    for product_id, quantity in lines:
        totals[product_id] = totals.get(product_id, 0) + quantity
    return tuple(Line(product_id, quantity) for product_id, quantity in sorted(totals.items()))


def spread_start(order_id: str, shards: int) -> int:
    """The shard an order tries first: stable for the order, uniform across orders."""
    return zlib.crc32(order_id.encode()) % shards if shards > 1 else 0


def cell_order(shards: int, start: int) -> list[int | None]:
    """The cells a line tries, in order: the shards from `start` round, then the product item."""
    if shards < 2:
        return [None]
    return [(start + offset) % shards for offset in range(shards)] + [None]


def plan_line(
    line: Line, shape: StockShape, start: int, avoid: frozenset[int | None] = frozenset()
) -> tuple[Take, ...] | None:
    """The takes that cover `line`; None when every cell is known to be short of it; `()` when
    only cells in `avoid` (writes throttled a moment ago) might cover it.

    One cell if any can cover it (unknown cells are assumed to); else several, largest known
    holdings in cell order, when together they can."""
    order = cell_order(shape.shards, start)
    if sum(shape.known.get(cell, line.quantity) for cell in order) < line.quantity:
        return None
    usable = [cell for cell in order if cell not in avoid]
    for cell in usable:
        held = shape.known.get(cell)
        if held is None or held >= line.quantity:
            return (Take(line.product_id, cell, line.quantity),)
    if sum(shape.known.get(cell, 0) for cell in usable) < line.quantity:
        return ()
    takes: list[Take] = []
    left = line.quantity
    for cell in usable:
        held = shape.known.get(cell, 0)
        if held > 0 and left > 0:
            taken = min(held, left)
            takes.append(Take(line.product_id, cell, taken))
            left -= taken
    return tuple(takes)


def plan_reservation(
    order_id: str,
    lines: tuple[Line, ...],
    shapes: Mapping[str, StockShape | None],
    avoid: frozenset[Cell] = frozenset(),
) -> Planned | OutOfStock | Busy:
    """Takes for every line, or the products that cannot be covered (unknown ones included), or
    the products only cells in `avoid` could cover."""
    takes: list[Take] = []
    short: list[str] = []
    busy: list[str] = []
    for line in lines:
        shape = shapes.get(line.product_id)
        avoided = frozenset(cell for product_id, cell in avoid if product_id == line.product_id)
        planned = (
            None if shape is None else plan_line(line, shape, spread_start(order_id, shape.shards), avoided)
        )
        if planned is None:
            short.append(line.product_id)
        elif not planned:
            busy.append(line.product_id)
        else:
            takes.extend(planned)
    if short:
        return OutOfStock(product_ids=tuple(short))
    if busy:
        return Busy(product_ids=tuple(busy))
    return Planned(takes=tuple(takes))


def learn(
    shapes: Mapping[str, StockShape | None], observed: Mapping[Cell, int]
) -> dict[str, StockShape | None]:
    """`shapes` with what refused writes showed the cells held."""
    learned: dict[str, StockShape | None] = dict(shapes)
    for (product_id, cell), held in observed.items():
        shape = learned.get(product_id)
        if shape is not None:
            learned[product_id] = StockShape(shape.shards, {**shape.known, cell: held})
    return learned


def auto_shards(current: int, limit: int = AUTO_SHARDS_MAX) -> int | None:
    """The shard count a throttled product grows to (doubling), or None at the limit."""
    target = min(limit, max(2, current * 2))
    return target if target > current else None
