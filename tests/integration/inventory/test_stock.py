"""Inventory against moto through the saga driver: reserve, fail, release once, replenish, DLQ."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.integration.saga_driver import SagaDriver


def only(*names: str) -> Any:
    return lambda queue: queue.spec.name in names


def order_placed(order_id: str, *lines: tuple[str, int], user_id: str = "u-1") -> dict[str, Any]:
    return {
        "orderId": order_id,
        "userId": user_id,
        "items": [{"productId": p, "quantity": q} for p, q in lines],
        "total": {"amount": 1000, "currency": "EUR"},
        "paymentMethodId": "pm_card_visa",
    }


def place(saga: SagaDriver, order_id: str, *lines: tuple[str, int]) -> None:
    saga.publish("OrderPlaced", order_placed(order_id, *lines), correlation_id=f"corr-{order_id}")
    saga.pump(only=only("inventory-reserve"))


def test_order_placed_reserves_every_line_and_publishes_stock_reserved(saga: SagaDriver) -> None:
    saga.add_product("p-1", 5)
    saga.add_product("p-2", 3)

    place(saga, "o-1", ("p-1", 2), ("p-2", 3), ("p-1", 1))

    assert (saga.stock("p-1"), saga.stock("p-2")) == (2, 0)
    [reserved] = saga.published("catalog", "StockReserved")
    assert reserved["data"]["orderId"] == "o-1"
    assert sorted((i["productId"], i["quantity"]) for i in reserved["data"]["items"]) == [
        ("p-1", 3),
        ("p-2", 3),
    ]
    assert reserved["metadata"]["correlationId"] == "corr-o-1"


def test_order_for_more_than_stock_reserves_nothing_and_publishes_reservation_failed(
    saga: SagaDriver,
) -> None:
    saga.add_product("p-1", 5)
    saga.add_product("p-2", 1)

    place(saga, "o-1", ("p-1", 2), ("p-2", 2))

    assert (saga.stock("p-1"), saga.stock("p-2")) == (5, 1)
    [failed] = saga.published("catalog", "StockReservationFailed")
    assert failed["data"]["orderId"] == "o-1"
    assert failed["data"]["productIds"] == ["p-2"]
    assert saga.published("catalog", "StockReserved") == []


def test_order_for_unknown_product_fails_its_reservation(saga: SagaDriver) -> None:
    place(saga, "o-1", ("nope", 1))

    assert [e["data"]["productIds"] for e in saga.published("catalog", "StockReservationFailed")] == [
        ["nope"]
    ]


def test_duplicate_order_placed_reserves_once(saga: SagaDriver) -> None:
    saga.add_product("p-1", 5)
    event_id = str(uuid.uuid4())
    for _ in range(2):
        saga.publish("OrderPlaced", order_placed("o-1", ("p-1", 2)), event_id=event_id)
    saga.publish("OrderPlaced", order_placed("o-1", ("p-1", 2)))  # the same order, another event id

    saga.pump(only=only("inventory-reserve"), duplicate=True)

    assert saga.stock("p-1") == 3
    assert len(saga.published("catalog", "StockReserved")) == 1


def test_cancel_and_payment_failure_release_stock_exactly_once(saga: SagaDriver) -> None:
    saga.add_product("p-1", 5)
    place(saga, "o-1", ("p-1", 4))
    assert saga.stock("p-1") == 1

    saga.publish("PaymentFailed", {"orderId": "o-1", "reason": "card_declined"})
    saga.publish(
        "OrderCancelled",
        {
            "orderId": "o-1",
            "userId": "u-1",
            "status": "CANCELLED",
            "total": {"amount": 1000, "currency": "EUR"},
        },
    )
    saga.pump(only=only("inventory-release"), duplicate=True, reverse=True)

    assert saga.stock("p-1") == 5
    assert len(saga.published("catalog", "StockReleased")) == 1


def test_cancel_before_order_placed_leaves_stock_untouched(saga: SagaDriver) -> None:
    saga.add_product("p-1", 5)
    saga.publish("PaymentFailed", {"orderId": "o-1", "reason": "card_declined"})
    saga.pump(only=only("inventory-release"))

    place(saga, "o-1", ("p-1", 2))

    assert saga.stock("p-1") == 5
    assert saga.published("catalog", "StockReserved") == []
    assert saga.published("catalog", "StockReleased") == []


def test_release_of_a_failed_reservation_creates_no_stock(saga: SagaDriver) -> None:
    saga.add_product("p-1", 1)
    place(saga, "o-1", ("p-1", 2))

    saga.publish("PaymentFailed", {"orderId": "o-1", "reason": "card_declined"})
    saga.pump(only=only("inventory-release"))

    assert saga.stock("p-1") == 1
    assert saga.published("catalog", "StockReleased") == []


def test_stock_replenished_adds_quantity_once_per_event(saga: SagaDriver) -> None:
    saga.add_product("p-1", 2)
    event_id = saga.publish("StockReplenished", {"productId": "p-1", "quantity": 10})
    saga.publish("StockReplenished", {"productId": "p-1", "quantity": 10}, event_id=event_id)

    saga.pump(only=only("inventory-replenish"), duplicate=True)

    assert saga.stock("p-1") == 12


def test_malformed_and_unknown_replenishments_go_to_the_dlq_and_the_rest_of_the_batch_is_applied(
    saga: SagaDriver,
) -> None:
    saga.add_product("p-1", 2)
    saga.publish("StockReplenished", {"productId": "p-1", "quantity": -3})  # fails the schema
    saga.publish("StockReplenished", {"sku": "p-1", "quantity": 1})  # fails the schema
    saga.publish("StockReplenished", {"productId": "ghost", "quantity": 1})  # unknown product
    saga.publish("StockReplenished", {"productId": "p-1", "quantity": 4})

    saga.pump(only=only("inventory-replenish"))

    assert saga.stock("p-1") == 6
    dead = saga.dead_letters("inventory-replenish")
    assert len(dead) == 3
    reasons = sorted(m["MessageAttributes"]["reason"]["StringValue"] for m in dead)
    assert reasons[0].startswith("StockReplenished does not fit its schema")
    assert "unknown product 'ghost'" in reasons[-1]
    assert all(json.loads(m["Body"])["detail-type"] == "StockReplenished" for m in dead)
