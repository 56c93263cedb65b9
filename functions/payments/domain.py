"""Payment rules: one charge per order, a refund only for a captured payment, no double events.

A payment follows the order it belongs to:

    PENDING ──charge ok──▶ PAID ──order cancelled──▶ REFUNDED
       │ └───declined───▶ FAILED
       └──order cancelled before the charge──▶ CANCELLED   (a late StockReserved no longer charges)

Every change is a guarded write in the store (`move(order, from, to)`), so a duplicate, late or
reordered event — or the Stripe webhook confirming what the consumer already recorded — is a no-op.
The use cases are in `payments.service`; the ports they use (`payments.ports`) are implemented by
`payments.store` and `payments.stripe_gateway`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from commerce.errors import MalformedRequest, NotFound, RateLimited


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


@dataclass(frozen=True)
class ProviderEvent:
    """A verified webhook event of the payment provider, as far as the rules care."""

    event_id: str
    type: str  # e.g. payment_intent.succeeded, payment_intent.payment_failed, charge.refunded
    order_id: str = ""
    payment_id: str = ""
    reason: str = ""
    correlation_id: str = ""


class BadSignature(MalformedRequest):
    """A webhook without a valid provider signature, or signed outside the tolerance (either way)."""

    def __init__(self) -> None:
        super().__init__("The Stripe-Signature header is missing or does not match the payload.")


class NotAProviderEvent(MalformedRequest):
    """A correctly signed webhook body that is not an event of the provider (`[]`, `null`, ...)."""

    def __init__(self, why: str) -> None:
        super().__init__(f"The signed payload is not a Stripe event: {why}.")


class ProviderRateLimited(RateLimited):
    """The payment provider refused for rate (Stripe's 429) even after backing off: the message is
    deferred and charged later, never dead-lettered for it."""

    def __init__(self) -> None:
        super().__init__("The payment provider is rate limiting; try again shortly.", retry_after_seconds=2)


class OrderNotYetKnown(NotFound):
    """The charge request arrived before the order itself (retried until it has)."""


def with_payment_id(payment: Payment, *, payment_id: str) -> Payment:
    return Payment(
        order_id=payment.order_id,
        status=payment.status,
        user_id=payment.user_id,
        amount=payment.amount,
        currency=payment.currency,
        payment_method_id=payment.payment_method_id,
        payment_id=payment_id,
    )
