"""Payment rules with in-memory ports: one charge per order, refunds only for captured payments."""

from __future__ import annotations

from dataclasses import replace

import pytest
from payments.domain import (
    Charged,
    Declined,
    OrderNotYetKnown,
    Payment,
    Status,
)
from payments.service import Payments


class MemoryStore:
    def __init__(self) -> None:
        self.payments: dict[str, Payment] = {}
        self.events: list[tuple[str, str]] = []
        self.provider_events: set[str] = set()
        self.before_move: list[Status] = []  # statuses forced in before the next move (races)

    def seen_stripe_event(self, stripe_event_id: str) -> bool:
        return stripe_event_id in self.provider_events

    def remember_stripe_event(self, stripe_event_id: str, event_type: str) -> None:
        self.provider_events.add(stripe_event_id)

    def get(self, order_id: str) -> Payment | None:
        return self.payments.get(order_id)

    def add(self, payment: Payment) -> bool:
        if payment.order_id in self.payments:
            return False
        self.payments[payment.order_id] = payment
        return True

    def move(self, order_id, allowed_from, to, *, correlation_id, payment_id="", reason=""):
        if self.before_move:
            self.payments[order_id] = replace(self.payments[order_id], status=self.before_move.pop(0))
        current = self.payments[order_id]
        if current.status not in allowed_from:
            return False
        self.payments[order_id] = replace(current, status=to, payment_id=payment_id or current.payment_id)
        self.events.append((to.value, order_id))
        return True


class FakeGateway:
    def __init__(self, outcome: Charged | Declined) -> None:
        self.outcome = outcome
        self.charges: list[str] = []
        self.refunds: list[str] = []

    def charge(self, payment: Payment, *, correlation_id: str, once_per: str) -> Charged | Declined:
        self.charges.append(payment.order_id)
        return self.outcome

    def refund(self, payment: Payment) -> None:
        self.refunds.append(payment.payment_id)


def pending(order_id: str = "o-1") -> Payment:
    return Payment(order_id, Status.PENDING, "u-1", 1000, "EUR", "pm_card_visa")


def test_charge_before_the_order_is_known_asks_for_a_retry() -> None:
    with pytest.raises(OrderNotYetKnown):
        Payments(MemoryStore(), FakeGateway(Charged("pi_1"))).charge(
            "o-1", correlation_id="c", trigger_event_id="t"
        )


def test_a_paid_order_is_never_charged_again() -> None:
    store, gateway = MemoryStore(), FakeGateway(Charged("pi_1"))
    store.add(pending())
    assert Payments(store, gateway).charge("o-1", correlation_id="c", trigger_event_id="t") == "paid"
    assert (
        Payments(store, gateway).charge("o-1", correlation_id="c", trigger_event_id="t").startswith("skipped")
    )
    assert gateway.charges == ["o-1"]
    assert store.events == [("PAID", "o-1")]


def test_declined_card_fails_the_payment() -> None:
    store = MemoryStore()
    store.add(pending())
    assert (
        Payments(store, FakeGateway(Declined("card_declined"))).charge(
            "o-1", correlation_id="c", trigger_event_id="t"
        )
        == "declined"
    )
    assert store.payments["o-1"].status is Status.FAILED


def test_a_charge_that_lands_after_the_cancellation_is_refunded() -> None:
    store, gateway = MemoryStore(), FakeGateway(Charged("pi_1"))
    store.add(pending())
    store.before_move = [Status.CANCELLED]  # the order is cancelled while Stripe is charging
    assert (
        Payments(store, gateway).charge("o-1", correlation_id="c", trigger_event_id="t")
        == "paid after cancellation, refunded"
    )
    assert gateway.refunds == ["pi_1"]
    assert store.payments["o-1"].status is Status.REFUNDED


def test_cancel_before_the_order_is_known_leaves_a_tombstone_that_prevents_the_charge() -> None:
    store, gateway = MemoryStore(), FakeGateway(Charged("pi_1"))
    assert Payments(store, gateway).cancel("o-1", correlation_id="c") == "cancelled before placed"
    assert not store.add(pending())
    assert (
        Payments(store, gateway).charge("o-1", correlation_id="c", trigger_event_id="t").startswith("skipped")
    )
    assert gateway.charges == []


def test_webhook_confirmation_of_an_already_paid_order_changes_nothing() -> None:
    store = MemoryStore()
    store.add(pending())
    Payments(store, FakeGateway(Charged("pi_1"))).charge("o-1", correlation_id="c", trigger_event_id="t")
    assert (
        Payments(store, FakeGateway(Charged("pi_1"))).provider_confirmed("o-1", "pi_1", correlation_id="c")
        == "already recorded"
    )
    assert store.events == [("PAID", "o-1")]


@pytest.mark.parametrize(
    ("amount", "currency", "sent"),
    [(1999, "EUR", 1999), (500, "JPY", 500), (5, "ISK", 500), (300, "MGA", 3), (1500, "KWD", 1500)],
)
def test_amounts_reach_stripe_in_stripes_unit_for_the_currency(amount: int, currency: str, sent: int) -> None:
    from payments.stripe_gateway import stripe_amount

    assert stripe_amount(amount, currency) == sent


@pytest.mark.parametrize(("amount", "currency"), [(1505, "KWD"), (350, "MGA")])
def test_amounts_stripe_cannot_represent_are_refused(amount: int, currency: str) -> None:
    from payments.stripe_gateway import UnchargeableAmount, stripe_amount

    with pytest.raises(UnchargeableAmount):
        stripe_amount(amount, currency)
