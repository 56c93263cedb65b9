"""Orders' outbox entries travel the real path: table stream → shared relay → EventBridge bus."""

from __future__ import annotations

import pytest

from tests.conftest import FakeLambdaContext
from tests.integration.catalog.helpers import body_of
from tests.integration.conftest import bus_with_capture_queue, drain, stream_records
from tests.integration.orders.conftest import OrdersEnv
from tests.integration.orders.helpers import cancel, place


def test_order_placed_and_order_cancelled_are_published_by_the_relay(
    orders_env: OrdersEnv, monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext
) -> None:
    from system import outbox_relay

    monkeypatch.setenv("EVENT_BUS_NAME", "commerce-test")
    captured = bus_with_capture_queue("commerce-test")
    body = {
        "items": [{"productId": orders_env.products["pot"], "quantity": 1}],
        "paymentMethodId": "pm_card_visa",
    }
    order = body_of(place(body))
    cancel(order["orderId"])

    result = outbox_relay.lambda_handler({"Records": stream_records(orders_env.table)}, lambda_context)

    assert result == {"batchItemFailures": []}
    events = drain(captured)
    assert [(e["source"], e["detail-type"]) for e in events] == [
        ("commerce.orders", "OrderPlaced"),
        ("commerce.orders", "OrderCancelled"),
    ]
    assert {e["detail"]["data"]["orderId"] for e in events} == {order["orderId"]}
    assert all(e["detail"]["metadata"]["eventVersion"] == "1" for e in events)
