"""What the orders use cases need from the outside world: the orders table (and the catalog's
prices, read in the same call), and what it says when a conditional write loses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel

from commerce.dynamodb import Page


@dataclass(frozen=True)
class StoredOrder:
    order: dict[str, Any]
    version: int


class IdempotencyKeyTaken(Exception):
    """The transaction lost to an existing (or concurrently written) idempotency record."""

    def __init__(self, *, contended: bool) -> None:
        super().__init__("idempotency record exists")
        self.contended = contended  # True: TransactionConflict (the other writer may not have committed)


class TransitionConflict(Exception):
    """The order changed between our read and our conditional write."""


class EventAlreadyRecorded(Exception):
    """The outbox already holds this event id: the trigger was processed before."""


class OrderStore(Protocol):
    def read_for_placement(
        self, user_id: str, key: str, product_ids: list[str]
    ) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
        """The live idempotency record for (user, key), and {name, price} of each product that exists."""
        ...

    def idempotency_record(self, user_id: str, key: str) -> dict[str, Any] | None: ...

    def place(
        self,
        order: dict[str, Any],
        *,
        idempotency: tuple[str, str],
        request_hash: str,
        ttl_seconds: int,
        event: BaseModel,
        correlation_id: str,
    ) -> None:
        """Idempotency record + order + OrderPlaced, in one transaction; `IdempotencyKeyTaken`."""
        ...

    def get(self, order_id: str) -> StoredOrder | None: ...

    def page_for_user(self, user_id: str, limit: int, cursor: str | None) -> Page:
        """Up to `limit` of the user's orders newest first (`Page.items` are orders)."""
        ...

    def apply_transition(
        self,
        current: StoredOrder,
        to_status: str,
        *,
        updated_at: str,
        event_name: str,
        event_data: BaseModel,
        event_id: str,
        correlation_id: str,
        attributes: dict[str, Any] | None = None,
    ) -> StoredOrder:
        """The guarded status change and its event in one transaction; `TransitionConflict`,
        `EventAlreadyRecorded`."""
        ...
