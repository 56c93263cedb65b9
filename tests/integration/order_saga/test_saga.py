"""The whole order saga in-process (orders API → outbox → bus → queues → consumers, in moto, with
the Stripe stub): every outcome of issue 6, also under duplicate and reordered delivery."""

from __future__ import annotations

import os
import threading
from collections import Counter
from typing import Any
from unittest import mock

import pytest

from commerce.aws import client
from local.stripe_stub import StripeStub
from tests.conftest import FakeLambdaContext
from tests.integration.saga_driver import SagaDriver

pytest.importorskip("orders.advance_order")


def register(saga: SagaDriver, user_id: str) -> None:
    contact = saga.encrypt_contact(user_id, f"{user_id}@example.com")
    saga.publish("UserRegistered", {"userId": user_id, "roles": ["customer"], "contact": contact})


def charges_per_order(stub: StripeStub) -> Counter[str]:
    return Counter(i["metadata"]["orderId"] for i in stub.state.snapshot()["paymentIntents"])


def order_events(saga: SagaDriver, order_id: str) -> list[dict[str, Any]]:
    return [
        e
        for service in ("orders", "catalog", "payments")
        for e in saga.published(service)
        if e["data"].get("orderId") == order_id
    ]


def test_happy_path_confirms_the_order_charges_once_and_emails_the_customer(
    saga: SagaDriver, stripe_stub: StripeStub
) -> None:
    saga.add_product("p-1", 5, amount=1250)
    register(saga, "u-1")
    saga.pump()
    emails_before = saga.emails_sent()

    order = saga.place_order("u-1", [("p-1", 2)])
    saga.pump()

    assert saga.order_status(order["orderId"]) == "CONFIRMED"
    assert saga.stock("p-1") == 3
    [intent] = stripe_stub.state.snapshot()["paymentIntents"]
    assert (intent["amount"], intent["currency"]) == (2500, "eur")
    assert saga.emails_sent() == emails_before + 1
    names = sorted(e["detailType"] for e in order_events(saga, order["orderId"]))
    assert names == ["OrderConfirmed", "OrderPlaced", "PaymentSucceeded", "StockReserved"]
    # The API request's correlation id travels through every event of the saga.
    assert {e["metadata"]["correlationId"] for e in order_events(saga, order["orderId"])} == {"corr-u-1"}


def test_out_of_stock_rejects_the_order_without_charging(saga: SagaDriver, stripe_stub: StripeStub) -> None:
    saga.add_product("p-1", 1)
    register(saga, "u-1")
    order = saga.place_order("u-1", [("p-1", 2)])

    saga.pump()

    assert saga.order_status(order["orderId"]) == "REJECTED"
    assert saga.stock("p-1") == 1
    assert charges_per_order(stripe_stub) == Counter()
    assert saga.emails_sent() == 2  # welcome + rejected


def test_declined_card_cancels_the_order_and_restores_stock(
    saga: SagaDriver, stripe_stub: StripeStub
) -> None:
    saga.add_product("p-1", 5)
    register(saga, "u-1")
    order = saga.place_order("u-1", [("p-1", 3)], method="pm_card_chargeDeclined")

    saga.pump()

    assert saga.order_status(order["orderId"]) == "CANCELLED"
    assert saga.stock("p-1") == 5
    assert len(saga.published("catalog", "StockReleased")) == 1
    assert charges_per_order(stripe_stub) == Counter({order["orderId"]: 1})
    assert saga.emails_sent() == 2  # welcome + cancelled


def test_cancel_after_confirm_refunds_and_restores_stock(saga: SagaDriver, stripe_stub: StripeStub) -> None:
    saga.add_product("p-1", 5)
    order = saga.place_order("u-1", [("p-1", 2)])
    saga.pump()
    assert saga.order_status(order["orderId"]) == "CONFIRMED"

    status, body = saga.cancel_order("u-1", order["orderId"])
    saga.pump()

    assert (status, body["status"]) == (200, "CANCELLED")
    assert saga.order_status(order["orderId"]) == "CANCELLED"
    assert saga.stock("p-1") == 5
    assert len(stripe_stub.state.snapshot()["refunds"]) == 1
    assert [e["data"]["orderId"] for e in saga.published("payments", "PaymentRefunded")] == [order["orderId"]]


def test_shipment_dispatched_ships_a_confirmed_order(saga: SagaDriver) -> None:
    saga.add_product("p-1", 5)
    order = saga.place_order("u-1", [("p-1", 1)])
    saga.pump()

    saga.publish(
        "ShipmentDispatched", {"orderId": order["orderId"], "carrier": "DHL", "trackingNumber": "JD0001"}
    )
    saga.pump()

    assert saga.order_status(order["orderId"]) == "SHIPPED"
    [shipped] = saga.published("orders", "OrderShipped")
    assert (shipped["data"]["carrier"], shipped["data"]["trackingNumber"]) == ("DHL", "JD0001")


def test_shipment_that_overtakes_the_confirmation_is_applied_once_the_order_is_confirmed(
    saga: SagaDriver,
) -> None:
    saga.add_product("p-1", 5)
    order = saga.place_order("u-1", [("p-1", 1)])
    saga.publish(
        "ShipmentDispatched", {"orderId": order["orderId"], "carrier": "UPS", "trackingNumber": "1Z"}
    )
    saga.relay()
    assert saga.deliver(saga.queues["orders-shipped"]) == 1
    assert saga.order_status(order["orderId"]) == "PENDING"

    saga.pump()

    assert saga.order_status(order["orderId"]) == "SHIPPED"


def test_malformed_warehouse_event_goes_to_the_dlq_and_the_rest_of_the_batch_is_processed(
    saga: SagaDriver,
) -> None:
    saga.add_product("p-1", 5)
    order = saga.place_order("u-1", [("p-1", 1)])
    saga.pump()
    saga.publish("ShipmentDispatched", {"orderId": order["orderId"], "carrier": "DHL"})  # no trackingNumber
    saga.publish("ShipmentDispatched", {"orderId": "no-such-order", "carrier": "DHL", "trackingNumber": "X"})
    saga.publish("ShipmentDispatched", {"orderId": order["orderId"], "carrier": "DHL", "trackingNumber": "T"})
    saga.relay()

    assert saga.deliver(saga.queues["orders-shipped"]) == 3  # one batch

    assert saga.order_status(order["orderId"]) == "SHIPPED"
    dead = saga.dead_letters("orders-shipped")
    reasons = sorted(m["MessageAttributes"]["reason"]["StringValue"] for m in dead)
    assert len(reasons) == 2
    assert "trackingNumber" in reasons[0]
    assert "unknown order" in reasons[1]


def test_duplicate_and_reordered_delivery_changes_no_outcome(
    saga: SagaDriver, stripe_stub: StripeStub
) -> None:
    saga.add_product("p-1", 10)
    saga.add_product("p-2", 1)
    for user in ("u-1", "u-2", "u-3", "u-4"):
        register(saga, user)
    happy = saga.place_order("u-1", [("p-1", 2)])
    declined = saga.place_order("u-2", [("p-1", 3)], method="pm_card_chargeDeclined")
    rejected = saga.place_order("u-3", [("p-2", 2)])
    refunded = saga.place_order("u-4", [("p-1", 1)])
    saga.pump(duplicate=True, reverse=True)
    saga.cancel_order("u-4", refunded["orderId"])
    saga.pump(duplicate=True, reverse=True)
    shipped_event = {"orderId": happy["orderId"], "carrier": "DHL", "trackingNumber": "T1"}
    event_id = saga.publish("ShipmentDispatched", shipped_event)
    saga.publish("ShipmentDispatched", shipped_event, event_id=event_id)
    saga.pump(duplicate=True, reverse=True)

    statuses = {o["orderId"]: saga.order_status(o["orderId"]) for o in (happy, declined, rejected, refunded)}
    assert statuses == {
        happy["orderId"]: "SHIPPED",
        declined["orderId"]: "CANCELLED",
        rejected["orderId"]: "REJECTED",
        refunded["orderId"]: "CANCELLED",
    }
    # One charge per charged order; one refund; stock conserved (10 - 2 shipped; p-2 untouched).
    assert charges_per_order(stripe_stub) == Counter(
        {happy["orderId"]: 1, declined["orderId"]: 1, refunded["orderId"]: 1}
    )
    assert len(stripe_stub.state.snapshot()["refunds"]) == 1
    assert (saga.stock("p-1"), saga.stock("p-2")) == (8, 1)
    # One event per step, and one email per customer-facing event (4 welcomes + 5 order emails).
    published = Counter(e["detailType"] for s in ("orders", "catalog", "payments") for e in saga.published(s))
    assert published == Counter(
        {
            "OrderPlaced": 4,
            "StockReserved": 3,
            "StockReservationFailed": 1,
            "PaymentSucceeded": 2,
            "PaymentFailed": 1,
            "PaymentRefunded": 1,
            "StockReleased": 2,
            "OrderConfirmed": 2,
            "OrderRejected": 1,
            "OrderCancelled": 2,
            "OrderShipped": 1,
        }
    )
    assert saga.emails_sent() == 4 + 6
    assert all(saga.dead_letters(name) == [] for name in saga.queues)


def test_twenty_concurrent_orders_for_five_units_confirm_exactly_five(
    saga: SagaDriver, stripe_stub: StripeStub
) -> None:
    saga.add_product("last", 5)
    orders = [saga.place_order(f"u-{n}", [("last", 1)]) for n in range(20)]
    saga.relay()
    queue = saga.queues["inventory-reserve"]
    records: list[Any] = []
    while len(records) < 20:
        batch = client("sqs").receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10)["Messages"]
        records += batch
    for message in records:
        client("sqs").delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
    results: list[dict[str, Any]] = []
    start = threading.Barrier(20)
    from inventory import reserve_stock

    def reserve(message: dict[str, Any]) -> None:
        start.wait()
        results.append(reserve_stock.lambda_handler({"Records": [_record(message)]}, FakeLambdaContext()))

    with atomic_moto_requests(), mock.patch.dict(os.environ, {**queue.spec.env, "DLQ_URL": queue.dlq_url}):
        threads = [threading.Thread(target=reserve, args=(m,)) for m in records]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert len(results) == 20
    assert all(r == {"batchItemFailures": []} for r in results), results
    saga.pump()

    statuses = Counter(saga.order_status(o["orderId"]) for o in orders)
    assert statuses == Counter({"CONFIRMED": 5, "REJECTED": 15})
    assert saga.stock("last") == 0
    assert sum(charges_per_order(stripe_stub).values()) == 5


def atomic_moto_requests() -> Any:
    """moto's backends are not thread-safe (a transaction deep-copies tables other threads change);
    DynamoDB executes each request atomically. Serialising moto per *request* keeps that guarantee
    and nothing more: our consumers' requests still interleave freely between threads."""
    from moto.core.responses import BaseResponse

    lock = threading.Lock()
    original = BaseResponse.call_action

    def call_action(self: Any) -> Any:
        with lock:
            return original(self)

    return mock.patch.object(BaseResponse, "call_action", call_action)


def _record(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:inventory-reserve",
        "awsRegion": "us-east-1",
    }
