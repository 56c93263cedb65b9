"""What the inventory use cases need from the outside world: the stock on the catalog table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from inventory.domain import (
    AlreadyDecided,
    Hot,
    Line,
    NothingToRelease,
    Released,
    Reserved,
    Short,
    StockShape,
    Take,
)


class InventoryStore(Protocol):
    def stock_of(
        self, product_ids: Iterable[str], *, every_cell: bool = False
    ) -> dict[str, StockShape | None]:
        """Each product's shard count and what its cells are known to hold (None: no such product);
        with `every_cell`, what every cell holds now (a product that could not be read is left out)."""

    def take(
        self, order_id: str, lines: tuple[Line, ...], takes: tuple[Take, ...], *, correlation_id: str
    ) -> Reserved | AlreadyDecided | Short | Hot:
        """Every take (each `stock >= q` on its cell) + the reservation + StockReserved, or nothing."""

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

    def reshard(self, product_id: str, shards: int) -> bool:
        """Grow the product to `shards` shards, moving units live (commerce.stock.grow); False when
        it already has that many or more, or changed meanwhile."""
