"""Payments use cases: one charge per order, a refund only for a captured payment, and the
provider's webhook confirmations applied as the same guarded moves (see payments.domain)."""

from __future__ import annotations

from dataclasses import dataclass

from payments.domain import Declined, OrderNotYetKnown, Payment, ProviderEvent, Status, with_payment_id
from payments.ports import PaymentGateway, PaymentStore


@dataclass(frozen=True)
class Payments:
    store: PaymentStore
    gateway: PaymentGateway

    def record_order(self, payment: Payment) -> bool:
        """Remember what an order costs and how it is paid (from `OrderPlaced`)."""
        return self.store.add(payment)

    def charge(self, order_id: str, *, correlation_id: str, trigger_event_id: str) -> str:
        """Charge a reserved order once; returns what happened (for logs and tests)."""
        payment = self.store.get(order_id)
        if payment is None:
            raise OrderNotYetKnown(order_id)
        if payment.status is not Status.PENDING:
            return f"skipped: payment is {payment.status}"
        outcome = self.gateway.charge(payment, correlation_id=correlation_id, once_per=trigger_event_id)
        if isinstance(outcome, Declined):
            moved = self.store.move(
                order_id,
                (Status.PENDING,),
                Status.FAILED,
                correlation_id=correlation_id,
                reason=outcome.reason,
            )
            return "declined" if moved else "declined, already recorded"
        if self.store.move(
            order_id,
            (Status.PENDING,),
            Status.PAID,
            correlation_id=correlation_id,
            payment_id=outcome.payment_id,
        ):
            return "paid"
        current = self.store.get(order_id)
        if current is not None and current.status is Status.CANCELLED:
            # The order was cancelled while the charge was in flight: give the money back.
            self.refund(
                with_payment_id(current, payment_id=outcome.payment_id), correlation_id=correlation_id
            )
            return "paid after cancellation, refunded"
        return "paid, already recorded"

    def cancel(self, order_id: str, *, correlation_id: str) -> str:
        """The order was cancelled: refund a captured payment, or make sure none is ever taken."""
        for _ in range(3):  # a concurrent change moves the payment on; look again
            payment = self.store.get(order_id)
            if payment is None:
                # Cancelled before we saw it placed: a tombstone keeps the late OrderPlaced from charging.
                if self.store.add(Payment(order_id=order_id, status=Status.CANCELLED)):
                    return "cancelled before placed"
                continue
            if payment.status is Status.PENDING:
                if self.store.move(
                    order_id, (Status.PENDING,), Status.CANCELLED, correlation_id=correlation_id
                ):
                    return "cancelled before charge"
                continue
            if payment.status is Status.PAID:
                return self.refund(payment, correlation_id=correlation_id)
            return f"skipped: payment is {payment.status}"
        raise RuntimeError(f"payment for order {order_id} kept changing")

    def refund(self, payment: Payment, *, correlation_id: str) -> str:
        self.gateway.refund(payment)
        moved = self.store.move(
            payment.order_id,
            (Status.PAID, Status.CANCELLED),
            Status.REFUNDED,
            correlation_id=correlation_id,
            payment_id=payment.payment_id,
        )
        return "refunded" if moved else "refunded, already recorded"

    def provider_confirmed(self, order_id: str, payment_id: str, *, correlation_id: str) -> str:
        """Stripe says the payment succeeded (webhook): record it if the consumer has not yet."""
        moved = self.store.move(
            order_id, (Status.PENDING,), Status.PAID, correlation_id=correlation_id, payment_id=payment_id
        )
        return "paid" if moved else "already recorded"

    def provider_declined(self, order_id: str, reason: str, *, correlation_id: str) -> str:
        moved = self.store.move(
            order_id, (Status.PENDING,), Status.FAILED, correlation_id=correlation_id, reason=reason
        )
        return "declined" if moved else "already recorded"

    def provider_refunded(self, order_id: str, payment_id: str, *, correlation_id: str) -> str:
        moved = self.store.move(
            order_id, (Status.PAID,), Status.REFUNDED, correlation_id=correlation_id, payment_id=payment_id
        )
        return "refunded" if moved else "already recorded"

    def on_provider_event(self, event: ProviderEvent, *, correlation_id: str) -> str:
        """A webhook event, handled once per provider event id; what happened."""
        if self.store.seen_stripe_event(event.event_id):
            return "duplicate"
        outcome = "ignored"
        if event.order_id and event.type == "payment_intent.succeeded":
            outcome = self.provider_confirmed(event.order_id, event.payment_id, correlation_id=correlation_id)
        elif event.order_id and event.type == "payment_intent.payment_failed":
            outcome = self.provider_declined(event.order_id, event.reason, correlation_id=correlation_id)
        elif event.order_id and event.type == "charge.refunded":
            outcome = self.provider_refunded(event.order_id, event.payment_id, correlation_id=correlation_id)
        self.store.remember_stripe_event(event.event_id, event.type)
        return outcome
