"""Payments against moto and the Stripe stub: one charge per order, declines, refunds, webhooks."""

from __future__ import annotations

import json
import time
from typing import Any

from commerce.aws import client
from local.stripe_stub import StripeStub, sign
from tests.conftest import FakeLambdaContext
from tests.integration.saga_driver import SagaDriver
from tests.integration.saga_fixtures import WEBHOOK_SECRET

TOTAL = {"amount": 2599, "currency": "EUR"}


def payments(*names: str) -> Any:
    wanted = names or ("payments-record", "payments-charge", "payments-refund")
    return lambda queue: queue.spec.name in wanted


def order_placed(order_id: str, method: str = "pm_card_visa") -> dict[str, Any]:
    return {
        "orderId": order_id,
        "userId": "u-1",
        "items": [{"productId": "p-1", "quantity": 1}],
        "total": TOTAL,
        "paymentMethodId": method,
    }


def reserved(order_id: str) -> dict[str, Any]:
    return {"orderId": order_id, "items": [{"productId": "p-1", "quantity": 1}]}


def cancelled(order_id: str) -> dict[str, Any]:
    return {"orderId": order_id, "userId": "u-1", "status": "CANCELLED", "total": TOTAL}


def charges(stub: StripeStub) -> list[dict[str, Any]]:
    return list(stub.state.snapshot()["paymentIntents"])


def test_stock_reserved_charges_the_order_total_once_and_publishes_payment_succeeded(
    saga: SagaDriver, stripe_stub: StripeStub
) -> None:
    saga.publish("OrderPlaced", order_placed("o-1"), correlation_id="corr-1")
    saga.pump(only=payments())
    event_id = saga.publish("StockReserved", reserved("o-1"), correlation_id="corr-1")
    saga.publish("StockReserved", reserved("o-1"), event_id=event_id, correlation_id="corr-1")

    saga.pump(only=payments(), duplicate=True)

    [intent] = charges(stripe_stub)
    assert (intent["amount"], intent["currency"], intent["status"]) == (2599, "eur", "succeeded")
    assert intent["metadata"]["orderId"] == "o-1"
    [succeeded] = saga.published("payments", "PaymentSucceeded")
    assert succeeded["data"] == {"orderId": "o-1", "paymentId": intent["id"], "amount": TOTAL}
    assert succeeded["metadata"]["correlationId"] == "corr-1"


def test_declined_card_publishes_payment_failed_and_is_not_retried(
    saga: SagaDriver, stripe_stub: StripeStub
) -> None:
    saga.publish("OrderPlaced", order_placed("o-1", "pm_card_chargeDeclined"))
    saga.pump(only=payments())
    saga.publish("StockReserved", reserved("o-1"))

    saga.pump(only=payments(), duplicate=True)

    [failed] = saga.published("payments", "PaymentFailed")
    assert failed["data"] == {"orderId": "o-1", "reason": "card_declined"}
    assert saga.published("payments", "PaymentSucceeded") == []
    assert len(charges(stripe_stub)) == 1
    assert saga.dead_letters("payments-charge") == []


def test_stock_reserved_before_the_order_is_known_is_retried_until_it_is(
    saga: SagaDriver, stripe_stub: StripeStub
) -> None:
    saga.publish("StockReserved", reserved("o-1"))
    saga.relay()
    charge_queue = saga.queues["payments-charge"]
    assert saga.deliver(charge_queue) == 1
    assert charges(stripe_stub) == []

    saga.publish("OrderPlaced", order_placed("o-1"))
    saga.pump(only=payments())

    assert len(saga.published("payments", "PaymentSucceeded")) == 1
    assert saga.dead_letters("payments-charge") == []


def test_cancelling_a_paid_order_refunds_it_once(saga: SagaDriver, stripe_stub: StripeStub) -> None:
    saga.publish("OrderPlaced", order_placed("o-1"))
    saga.pump(only=payments())
    saga.publish("StockReserved", reserved("o-1"))
    saga.pump(only=payments())

    event_id = saga.publish("OrderCancelled", cancelled("o-1"))
    saga.publish("OrderCancelled", cancelled("o-1"), event_id=event_id)
    saga.pump(only=payments(), duplicate=True)

    snapshot = stripe_stub.state.snapshot()
    assert len(snapshot["refunds"]) == 1
    [refunded] = saga.published("payments", "PaymentRefunded")
    assert refunded["data"] == {
        "orderId": "o-1",
        "paymentId": snapshot["paymentIntents"][0]["id"],
        "amount": TOTAL,
    }


def test_an_order_cancelled_before_its_charge_is_never_charged(
    saga: SagaDriver, stripe_stub: StripeStub
) -> None:
    saga.publish("OrderCancelled", cancelled("o-1"))
    saga.pump(only=payments())
    saga.publish("OrderPlaced", order_placed("o-1"))
    saga.publish("StockReserved", reserved("o-1"))

    saga.pump(only=payments())

    assert charges(stripe_stub) == []
    assert saga.published("payments") == []


# ---- webhook --------------------------------------------------------------------------------


def webhook_request(payload: str, signature: str | None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return {
        "resource": "/payments/webhook",
        "path": "/payments/webhook",
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "pathParameters": None,
        "requestContext": {"requestId": "req-1", "resourcePath": "/payments/webhook", "httpMethod": "POST"},
        "body": payload,
        "isBase64Encoded": False,
    }


def call_webhook(saga: SagaDriver, payload: str, signature: str | None) -> dict[str, Any]:
    from payments import stripe_webhook

    env = {"TABLE_NAME": saga.tables["payments"], "STRIPE_SECRET_ARN": saga.stripe_secret_arn}
    from unittest import mock

    with mock.patch.dict("os.environ", env):
        result: dict[str, Any] = stripe_webhook.lambda_handler(
            webhook_request(payload, signature), FakeLambdaContext()
        )
    return result


def succeeded_event(order_id: str, stripe_event_id: str = "evt_1") -> str:
    return json.dumps(
        {
            "id": stripe_event_id,
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {
                "object": {
                    "id": "pi_123",
                    "object": "payment_intent",
                    "amount": 2599,
                    "currency": "eur",
                    "status": "succeeded",
                    "metadata": {"orderId": order_id, "correlationId": "corr-9"},
                }
            },
        }
    )


def payment_status(saga: SagaDriver, order_id: str) -> str:
    item = client("dynamodb").get_item(
        TableName=saga.tables["payments"], Key={"pk": {"S": f"PAYMENT#{order_id}"}, "sk": {"S": "PAYMENT"}}
    )["Item"]
    return str(item["status"]["S"])


def test_webhook_with_a_bad_signature_is_rejected_and_changes_nothing(saga: SagaDriver) -> None:
    saga.publish("OrderPlaced", order_placed("o-1"))
    saga.pump(only=payments())
    payload = succeeded_event("o-1")
    stale = int(time.time()) - 600

    for signature in (
        None,
        "garbage",
        sign(payload, "whsec_wrong"),
        sign(payload, WEBHOOK_SECRET, timestamp=stale),
        sign(payload.replace("2599", "1"), WEBHOOK_SECRET),
    ):
        response = call_webhook(saga, payload, signature)
        assert response["statusCode"] == 400, signature
        assert json.loads(response["body"])["status"] == 400
        assert response["multiValueHeaders"]["Content-Type"] == ["application/problem+json"]

    assert payment_status(saga, "o-1") == "PENDING"
    assert saga.published("payments") == []


def test_signed_webhook_confirms_the_payment_once_per_stripe_event(saga: SagaDriver) -> None:
    saga.publish("OrderPlaced", order_placed("o-1"))
    saga.pump(only=payments())

    first = succeeded_event("o-1", "evt_1")
    again = succeeded_event("o-1", "evt_2")  # Stripe resends the same news under a new event id
    for payload in (first, first, again):
        response = call_webhook(saga, payload, sign(payload, WEBHOOK_SECRET))
        assert response["statusCode"] == 200

    assert payment_status(saga, "o-1") == "PAID"
    [succeeded] = saga.published("payments", "PaymentSucceeded")
    assert succeeded["data"]["paymentId"] == "pi_123"
    assert succeeded["metadata"]["correlationId"] == "corr-9"


def test_webhook_and_consumer_confirming_the_same_charge_publish_one_event(
    saga: SagaDriver, stripe_stub: StripeStub
) -> None:
    saga.publish("OrderPlaced", order_placed("o-1"))
    saga.pump(only=payments())
    saga.publish("StockReserved", reserved("o-1"))
    saga.pump(only=payments())
    [intent] = charges(stripe_stub)
    payload = json.dumps(
        {"id": "evt_9", "object": "event", "type": "payment_intent.succeeded", "data": {"object": intent}}
    )

    assert call_webhook(saga, payload, sign(payload, WEBHOOK_SECRET))["statusCode"] == 200

    assert len(saga.published("payments", "PaymentSucceeded")) == 1


# ---- hostile webhooks (issue 18 finding 3): always a 400, never a 5xx, and nothing changes --------


def _assert_refused_and_nothing_changed(saga: SagaDriver, response: dict[str, Any]) -> None:
    assert response["statusCode"] == 400, response
    assert response["multiValueHeaders"]["Content-Type"] == ["application/problem+json"]
    assert payment_status(saga, "o-1") == "PENDING"
    assert saga.published("payments") == []


def test_a_stripe_signature_that_is_not_ascii_is_a_400(saga: SagaDriver) -> None:
    saga.publish("OrderPlaced", order_placed("o-1"))
    saga.pump(only=payments())
    payload = succeeded_event("o-1")
    good = sign(payload, WEBHOOK_SECRET)
    for signature in (
        good + "é",
        "t=1,v1=\u00ff\u00fe",
        good.replace("v1=", "v1=ü"),
        "t=" + "٣" * 5 + ",v1=ab",
    ):
        _assert_refused_and_nothing_changed(saga, call_webhook(saga, payload, signature))


def test_signed_bodies_that_are_not_stripe_events_are_400(saga: SagaDriver) -> None:
    saga.publish("OrderPlaced", order_placed("o-1"))
    saga.pump(only=payments())
    deep = "[" * 5000 + "]" * 5000
    not_events = [
        "[]", "null", '"evt"', "42", "{}", '{"id":"evt_1"}', '{"id":"evt_1","type":"x","data":[]}',
        '{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":null}}',
        '{"id":["evt_1"],"type":"payment_intent.succeeded","data":{"object":{}}}', deep, '{"id":', "1" * 5000,
    ]  # fmt: skip
    for payload in not_events:
        response = call_webhook(saga, payload, sign(payload, WEBHOOK_SECRET))
        _assert_refused_and_nothing_changed(saga, response)
        assert json.loads(response["body"])["detail"].startswith("The signed payload is not a Stripe event")


def test_a_signature_timestamp_far_in_the_future_is_refused_like_one_in_the_past(saga: SagaDriver) -> None:
    saga.publish("OrderPlaced", order_placed("o-1"))
    saga.pump(only=payments())
    payload = succeeded_event("o-1")
    now = int(time.time())
    for timestamp in (now + 301, now + 86_400, now + 10**9, now - 301):
        _assert_refused_and_nothing_changed(
            saga, call_webhook(saga, payload, sign(payload, WEBHOOK_SECRET, timestamp=timestamp))
        )
    assert call_webhook(saga, payload, sign(payload, WEBHOOK_SECRET, timestamp=now + 60))["statusCode"] == 200


def test_a_body_that_is_not_utf8_encodable_is_a_400(saga: SagaDriver) -> None:
    saga.publish("OrderPlaced", order_placed("o-1"))
    saga.pump(only=payments())
    payload = succeeded_event("o-1").replace("corr-9", "corr-\ud800")
    _assert_refused_and_nothing_changed(saga, call_webhook(saga, payload, "t=1,v1=00"))
