"""A Stripe key that Stripe refuses (the first deploy's placeholder, a revoked key) fails loudly, and
the corrected key is used by the very next retry — not after the secret's five-minute cache."""

from __future__ import annotations

import json

import pytest

from commerce.aws import client
from local.stripe_stub import StripeStub
from tests.integration.payments.test_payments import charges, order_placed, payments, reserved
from tests.integration.saga_driver import SagaDriver


def _put_api_key(saga: SagaDriver, api_key: str) -> None:
    client("secretsmanager").put_secret_value(
        SecretId=saga.stripe_secret_arn,
        SecretString=json.dumps({"apiKey": api_key, "webhookSecret": "whsec_saga"}),
    )


def test_a_refused_key_is_an_error_log_and_a_metric_and_its_fix_applies_at_once(
    saga: SagaDriver,
    stripe_stub: StripeStub,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _put_api_key(saga, "placeholder-the-stub-refuses")  # Stripe answers 401 to a key it does not know
    saga.publish("OrderPlaced", order_placed("o-1"))
    saga.pump(only=payments("payments-record"))
    saga.publish("StockReserved", reserved("o-1"))
    saga.relay()
    capsys.readouterr()

    assert saga.deliver(saga.queues["payments-charge"]) == 1

    refused = [r for r in caplog.records if "Stripe refused the API key" in r.getMessage()]
    assert [r.levelname for r in refused] == ["ERROR"]
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    metrics = [line for line in lines if "_aws" in line]  # EMF
    assert any(line.get("StripeAuthenticationFailed") in ([1.0], 1.0) for line in metrics)
    assert charges(stripe_stub) == []
    assert saga.published("payments", "PaymentSucceeded") == []

    _put_api_key(saga, "sk_test_local")
    saga.pump(only=payments("payments-charge"))

    assert len(charges(stripe_stub)) == 1
    assert len(saga.published("payments", "PaymentSucceeded")) == 1
    assert saga.dead_letters("payments-charge") == []
