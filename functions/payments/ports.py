"""What the payments use cases need from the outside world: the payments table and the provider."""

from __future__ import annotations

from typing import Protocol

from payments.domain import Charged, Declined, Payment, Status


class PaymentStore(Protocol):
    def get(self, order_id: str) -> Payment | None: ...

    def add(self, payment: Payment) -> bool:
        """Record a new payment; False when one exists already (duplicate or earlier cancellation)."""

    def move(
        self,
        order_id: str,
        allowed_from: tuple[Status, ...],
        to: Status,
        *,
        correlation_id: str,
        payment_id: str = "",
        reason: str = "",
    ) -> bool:
        """Guarded transition plus its event (if any) in one write; False when not in `allowed_from`."""

    def seen_stripe_event(self, stripe_event_id: str) -> bool: ...

    def remember_stripe_event(self, stripe_event_id: str, event_type: str) -> None: ...


class PaymentGateway(Protocol):
    def charge(self, payment: Payment, *, correlation_id: str, once_per: str) -> Charged | Declined:
        """Charge once per `once_per` (the triggering event's id): a repeat returns the first answer."""
        ...

    def refund(self, payment: Payment) -> None: ...
