"""What the inventory use cases need from the outside world: the stock on the catalog table."""

from __future__ import annotations

from typing import Protocol

from inventory.domain import AlreadyDecided, Line, NothingToRelease, OutOfStock, Released, Reserved


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
