"""Payment rules: one charge per order, a refund only for a captured payment, no double events.

A payment follows the order it belongs to:

    PENDING ──charge ok──▶ PAID ──order cancelled──▶ REFUNDED
       │ └───declined───▶ FAILED
       └──order cancelled before the charge──▶ CANCELLED   (a late StockReserved no longer charges)

Every change is a guarded write in the store (`move(order, from, to)`), so a duplicate, late or
reordered event — or the Stripe webhook confirming what the consumer already recorded — is a no-op.
The ports (`PaymentStore`, `PaymentGateway`) are implemented by `payments.store` and
`payments.stripe_gateway`; tests may pass fakes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Status(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"


@dataclass(frozen=True)
class Payment:
    order_id: str
    status: Status
    user_id: str = ""
    amount: int = 0
    currency: str = ""
    payment_method_id: str = ""
    payment_id: str = ""


@dataclass(frozen=True)
class Charged:
    payment_id: str


@dataclass(frozen=True)
class Declined:
    reason: str


class OrderNotYetKnown(Exception):
    """The charge request arrived before the order itself (retried until it has)."""


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


class PaymentGateway(Protocol):
    def charge(self, payment: Payment, correlation_id: str = "") -> Charged | Declined: ...

    def refund(self, payment: Payment) -> None: ...


def record_order(store: PaymentStore, payment: Payment) -> bool:
    """Remember what an order costs and how it is paid (from `OrderPlaced`)."""
    return store.add(payment)


def charge(store: PaymentStore, gateway: PaymentGateway, order_id: str, *, correlation_id: str) -> str:
    """Charge a reserved order once; returns what happened (for logs and tests)."""
    payment = store.get(order_id)
    if payment is None:
        raise OrderNotYetKnown(order_id)
    if payment.status is not Status.PENDING:
        return f"skipped: payment is {payment.status}"
    outcome = gateway.charge(payment, correlation_id)
    if isinstance(outcome, Declined):
        moved = store.move(
            order_id, (Status.PENDING,), Status.FAILED, correlation_id=correlation_id, reason=outcome.reason
        )
        return "declined" if moved else "declined, already recorded"
    if store.move(
        order_id,
        (Status.PENDING,),
        Status.PAID,
        correlation_id=correlation_id,
        payment_id=outcome.payment_id,
    ):
        return "paid"
    current = store.get(order_id)
    if current is not None and current.status is Status.CANCELLED:
        # The order was cancelled while the charge was in flight: give the money back.
        refund(store, gateway, _with(current, payment_id=outcome.payment_id), correlation_id=correlation_id)
        return "paid after cancellation, refunded"
    return "paid, already recorded"


def cancel(store: PaymentStore, gateway: PaymentGateway, order_id: str, *, correlation_id: str) -> str:
    """The order was cancelled: refund a captured payment, or make sure none is ever taken."""
    for _ in range(3):  # a concurrent change moves the payment on; look again
        payment = store.get(order_id)
        if payment is None:
            # Cancelled before we saw it placed: a tombstone keeps the late OrderPlaced from charging.
            if store.add(Payment(order_id=order_id, status=Status.CANCELLED)):
                return "cancelled before placed"
            continue
        if payment.status is Status.PENDING:
            if store.move(order_id, (Status.PENDING,), Status.CANCELLED, correlation_id=correlation_id):
                return "cancelled before charge"
            continue
        if payment.status is Status.PAID:
            return refund(store, gateway, payment, correlation_id=correlation_id)
        return f"skipped: payment is {payment.status}"
    raise RuntimeError(f"payment for order {order_id} kept changing")


def refund(store: PaymentStore, gateway: PaymentGateway, payment: Payment, *, correlation_id: str) -> str:
    gateway.refund(payment)
    moved = store.move(
        payment.order_id,
        (Status.PAID, Status.CANCELLED),
        Status.REFUNDED,
        correlation_id=correlation_id,
        payment_id=payment.payment_id,
    )
    return "refunded" if moved else "refunded, already recorded"


def provider_confirmed(store: PaymentStore, order_id: str, payment_id: str, *, correlation_id: str) -> str:
    """Stripe says the payment succeeded (webhook): record it if the consumer has not yet."""
    moved = store.move(
        order_id, (Status.PENDING,), Status.PAID, correlation_id=correlation_id, payment_id=payment_id
    )
    return "paid" if moved else "already recorded"


def provider_declined(store: PaymentStore, order_id: str, reason: str, *, correlation_id: str) -> str:
    moved = store.move(
        order_id, (Status.PENDING,), Status.FAILED, correlation_id=correlation_id, reason=reason
    )
    return "declined" if moved else "already recorded"


def provider_refunded(store: PaymentStore, order_id: str, payment_id: str, *, correlation_id: str) -> str:
    moved = store.move(
        order_id, (Status.PAID,), Status.REFUNDED, correlation_id=correlation_id, payment_id=payment_id
    )
    return "refunded" if moved else "already recorded"


def _with(payment: Payment, *, payment_id: str) -> Payment:
    return Payment(
        order_id=payment.order_id,
        status=payment.status,
        user_id=payment.user_id,
        amount=payment.amount,
        currency=payment.currency,
        payment_method_id=payment.payment_method_id,
        payment_id=payment_id,
    )
