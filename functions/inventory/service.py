"""Inventory use cases: reserve all of an order's lines or none, release a reservation once, add
replenished stock once per event. Each returns what happened (for logs and tests)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from inventory.domain import AlreadyDecided, Released, Reserved, merge_lines
from inventory.ports import InventoryStore


@dataclass(frozen=True)
class Inventory:
    store: InventoryStore

    def reserve(self, order_id: str, lines: Iterable[tuple[str, int]], *, correlation_id: str) -> str:
        store = self.store
        outcome = store.reserve(order_id, merge_lines(lines), correlation_id=correlation_id)
        if isinstance(outcome, Reserved):
            return "reserved"
        if isinstance(outcome, AlreadyDecided):
            return "already decided"
        reason = "out of stock: " + ", ".join(outcome.product_ids)
        recorded = store.record_failure(order_id, outcome.product_ids, reason, correlation_id=correlation_id)
        return "out of stock" if recorded else "already decided"

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
