"""The Stripe stub speaks enough Stripe for the real SDK: intents, declines, refunds, idempotency,
and webhooks the SDK's own signature check accepts."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from local import stripe_stub
from local.limits import Limits, StripeLimits
from tests.polling import wait_for

SECRET = "whsec_stub_test"


@pytest.fixture
def webhook_sink() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    received: list[tuple[str, str]] = []

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append((body, self.headers.get("Stripe-Signature", "")))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/payments/webhook", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def stub(webhook_sink: tuple[str, list[tuple[str, str]]]) -> Iterator[stripe_stub.StripeStub]:
    handle = stripe_stub.start("127.0.0.1", 0, webhook_sink[0], SECRET)
    yield handle
    handle.stop()


def sdk(stub: stripe_stub.StripeStub) -> Any:
    return stripe.StripeClient("sk_test_local", base_addresses={"api": stub.url}, max_network_retries=0)


def create(client: Any, order_id: str, method: str) -> Any:
    return client.v1.payment_intents.create(
        params={
            "amount": 1999,
            "currency": "eur",
            "payment_method": method,
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            "metadata": {"orderId": order_id},
        },
        options={"idempotency_key": f"charge-{order_id}"},
    )


def test_visa_succeeds_and_the_same_idempotency_key_returns_the_same_intent(
    stub: stripe_stub.StripeStub,
) -> None:
    client = sdk(stub)
    first = create(client, "o-1", "pm_card_visa")
    again = create(client, "o-1", "pm_card_visa")

    assert (first.status, first.amount, first.currency) == ("succeeded", 1999, "eur")
    assert again.id == first.id
    assert len(stub.state.snapshot()["paymentIntents"]) == 1
    assert client.v1.payment_intents.retrieve(first.id).metadata["orderId"] == "o-1"


def test_charge_declined_card_raises_the_sdks_card_error(stub: stripe_stub.StripeStub) -> None:
    with pytest.raises(stripe.CardError) as declined:
        create(sdk(stub), "o-2", "pm_card_chargeDeclined")

    assert declined.value.code == "card_declined"
    assert declined.value.http_status == 402


def test_refund_once_then_already_refunded(stub: stripe_stub.StripeStub) -> None:
    client = sdk(stub)
    intent = create(client, "o-3", "pm_card_visa")
    refund = client.v1.refunds.create(
        params={"payment_intent": intent.id}, options={"idempotency_key": "refund-o-3"}
    )
    assert refund.status == "succeeded"
    assert (
        client.v1.refunds.create(
            params={"payment_intent": intent.id}, options={"idempotency_key": "refund-o-3"}
        ).id
        == refund.id
    )
    with pytest.raises(stripe.InvalidRequestError) as twice:
        client.v1.refunds.create(params={"payment_intent": intent.id})
    assert twice.value.code == "charge_already_refunded"


def test_webhooks_are_signed_so_that_the_sdk_accepts_them(
    stub: stripe_stub.StripeStub, webhook_sink: tuple[str, list[tuple[str, str]]]
) -> None:
    client = sdk(stub)
    intent = create(client, "o-4", "pm_card_visa")
    client.v1.refunds.create(params={"payment_intent": intent.id})
    with pytest.raises(stripe.CardError):
        create(client, "o-5", "pm_card_chargeDeclined")

    received = webhook_sink[1]
    assert wait_for(lambda: len(received) == 3, timeout=10)
    types = sorted(stripe.Webhook.construct_event(body, sig, SECRET).type for body, sig in received)
    assert types == ["charge.refunded", "payment_intent.payment_failed", "payment_intent.succeeded"]
    body, sig = received[0]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, sig, "whsec_other")
    assert json.loads(body)["data"]["object"]["metadata"]["orderId"] in {"o-4", "o-5"}


class StoppedClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_over_stripes_rate_the_stub_answers_429_rate_limit_and_charges_nothing() -> None:
    # https://docs.stripe.com/rate-limits (live mode: 100 operations/s; 25 requests/s per endpoint;
    # a limited request gets 429 and the SDK raises RateLimitError)
    clock = StoppedClock()
    limits = StripeLimits(operations_per_second=3, endpoint_requests_per_second=2, clock=clock)
    handle = stripe_stub.start("127.0.0.1", 0, limits=limits)
    try:
        client = sdk(handle)
        create(client, "o-1", "pm_card_visa")
        create(client, "o-2", "pm_card_visa")
        with pytest.raises(stripe.RateLimitError) as raised:  # the endpoint's 2 a second are spent
            create(client, "o-3", "pm_card_visa")
        assert raised.value.http_status == 429
        assert json.loads(str(raised.value.http_body))["error"]["code"] == "rate_limit"
        assert (raised.value.headers or {}).get("Stripe-Rate-Limited-Reason") == "endpoint-rate"
        client.v1.payment_intents.retrieve(handle.state.snapshot()["paymentIntents"][0]["id"])
        with pytest.raises(stripe.RateLimitError) as raised:  # the account's 3 a second are spent
            client.v1.refunds.create(params={"payment_intent": "pi_x"})
        assert (raised.value.headers or {}).get("Stripe-Rate-Limited-Reason") == "global-rate"
        snapshot = handle.state.snapshot()
        assert len(snapshot["paymentIntents"]) == 2  # a limited request is not processed
        assert snapshot["rateLimited"] == 2
        clock.now += 1  # a second later both limiters have room again
        create(client, "o-3", "pm_card_visa")
    finally:
        handle.stop()


def test_limits_parse_to_stripes_published_rates() -> None:
    live = Limits.parse("scale=0.01").stripe_limits
    assert live is not None
    assert (live.operations_per_second, live.endpoint_requests_per_second) == (1.0, 0.25)
    test_mode = Limits.parse("scale=1,stripe=test").stripe_limits
    assert test_mode is not None
    assert test_mode.operations_per_second == 25
    assert Limits.parse("scale=1,stripe=off").stripe_limits is None
