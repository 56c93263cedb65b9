"""Saga outcomes are counted once per order that reaches them (EMF business metrics)."""

from __future__ import annotations

from typing import Any

import pytest
from orders import saga
from orders.service import TransitionOutcome, TransitionResult
from orders.wiring import orders

from commerce.consumer import Delivery
from commerce.events import EventMetadata, Money, PaymentSucceeded


def payment_succeeded() -> Delivery:
    return Delivery(
        name="PaymentSucceeded",
        source="commerce.payments",
        metadata=EventMetadata(eventId="e-1", occurredAt="2026-11-25T12:00:00Z"),
        data=PaymentSucceeded(orderId="o-1", paymentId="pi_1", amount=Money(amount=100, currency="EUR")),
    )


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    names: list[str] = []
    monkeypatch.setattr(saga.metrics, "add_metric", lambda name, **_: names.append(name))
    return names


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (TransitionOutcome.APPLIED, ["OrdersConfirmed"]),
        (TransitionOutcome.ALREADY, []),
        (TransitionOutcome.NOT_ALLOWED, []),
    ],
)
def test_a_confirmation_is_counted_only_when_it_is_applied(
    monkeypatch: pytest.MonkeyPatch, recorded: list[str], outcome: TransitionOutcome, expected: list[str]
) -> None:
    class FakeOrders:
        def transition(self, *_args: Any, **_kwargs: Any) -> TransitionResult:
            return TransitionResult(outcome=outcome, order={"status": "CONFIRMED"}, previous_status="PENDING")

    with orders.override(FakeOrders()):  # type: ignore[arg-type]
        saga.advance(payment_succeeded(), "CONFIRMED")

    assert recorded == expected
