"""POST /orders against moto: pricing from the catalog, idempotency keys, one transaction, budgets."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.integration.catalog.helpers import body_of, count_aws_calls, header
from tests.integration.orders.conftest import OrdersEnv
from tests.integration.orders.helpers import count_entities, get, outbox, place, transition


def order_body(env: OrdersEnv, **overrides: Any) -> dict[str, Any]:
    body = {
        "items": [
            {"productId": env.products["cup"], "quantity": 2},
            {"productId": env.products["pot"], "quantity": 1},
        ],
        "paymentMethodId": "pm_card_visa",
    }
    return {**body, **overrides}


def test_order_is_accepted_pending_and_priced_from_the_catalog(orders_env: OrdersEnv) -> None:
    response = place(order_body(orders_env, shippingAddress={"line1": "1 Main St", "city": "Springfield"}))

    assert response["statusCode"] == 202
    order = body_of(response)
    assert order["status"] == "PENDING"
    assert order["userId"] == "u-1"
    assert order["paymentMethodId"] == "pm_card_visa"
    assert order["items"] == [
        {"productId": orders_env.products["cup"], "name": "cup", "quantity": 2,
         "unitPrice": {"amount": 1250, "currency": "EUR"}},
        {"productId": orders_env.products["pot"], "name": "pot", "quantity": 1,
         "unitPrice": {"amount": 4000, "currency": "EUR"}},
    ]  # fmt: skip
    assert order["total"] == {"amount": 6500, "currency": "EUR"}
    assert order["createdAt"] == order["updatedAt"]
    assert order["shippingAddress"] == {"line1": "1 Main St", "city": "Springfield"}
    assert body_of(get(order["orderId"])) == order


def test_order_placed_is_recorded_with_the_order_and_carries_no_address(orders_env: OrdersEnv) -> None:
    order = body_of(place(order_body(orders_env, shippingAddress={"line1": "1 Main St"})))

    [event] = outbox(orders_env.table, "OrderPlaced")
    assert event["metadata"]["eventId"] == order["orderId"]
    assert event["data"] == {
        "orderId": order["orderId"],
        "userId": "u-1",
        "items": [
            {"productId": i["productId"], "quantity": i["quantity"], "unitPrice": i["unitPrice"]}
            for i in order["items"]
        ],
        "total": {"amount": 6500, "currency": "EUR"},
        "paymentMethodId": "pm_card_visa",
    }
    assert "Main St" not in str(event)


def test_client_supplied_prices_and_names_are_ignored(orders_env: OrdersEnv) -> None:
    body = {
        "items": [
            {"productId": orders_env.products["cup"], "quantity": 1,
             "unitPrice": {"amount": 1, "currency": "EUR"}, "price": {"amount": 1, "currency": "EUR"},
             "name": "free cup"},
        ],
        "paymentMethodId": "pm_card_visa",
        "total": {"amount": 1, "currency": "EUR"},
    }  # fmt: skip

    response = place(body)

    assert response["statusCode"] == 202
    order = body_of(response)
    assert order["items"][0]["unitPrice"] == {"amount": 1250, "currency": "EUR"}
    assert order["items"][0]["name"] == "cup"
    assert order["total"] == {"amount": 1250, "currency": "EUR"}
    [event] = outbox(orders_env.table, "OrderPlaced")
    assert event["data"]["total"] == {"amount": 1250, "currency": "EUR"}


def test_happy_path_costs_one_batch_get_and_one_transaction(orders_env: OrdersEnv) -> None:
    for key in ("k-1", "k-2"):  # the second request proves nothing else is read per request
        with count_aws_calls() as calls:
            assert place(order_body(orders_env), key=key)["statusCode"] == 202
        assert dict(calls) == {"BatchGetItem": 1, "TransactWriteItems": 1}


def test_replay_returns_the_same_order_and_writes_nothing(orders_env: OrdersEnv) -> None:
    first = place(order_body(orders_env), key="same")
    before = count_entities(orders_env.table, "Order"), len(outbox(orders_env.table))

    with count_aws_calls() as calls:
        again = place(order_body(orders_env), key="same")

    assert again["statusCode"] == 202
    assert body_of(again) == body_of(first)
    assert header(again, "Idempotent-Replayed") == "true"
    assert (count_entities(orders_env.table, "Order"), len(outbox(orders_env.table))) == before
    assert not {"TransactWriteItems", "PutItem", "UpdateItem", "BatchWriteItem"} & set(calls)


def test_replay_after_a_status_change_returns_the_order_as_it_is_now(orders_env: OrdersEnv) -> None:

    order = body_of(place(order_body(orders_env), key="k"))
    transition(order["orderId"], "CONFIRMED", trigger_event_id="payment-1")

    again = body_of(place(order_body(orders_env), key="k"))

    assert again["orderId"] == order["orderId"]
    assert again["status"] == "CONFIRMED"


def test_same_key_with_another_body_is_422_and_writes_nothing(orders_env: OrdersEnv) -> None:
    place(order_body(orders_env), key="k")
    other = order_body(orders_env, items=[{"productId": orders_env.products["cup"], "quantity": 3}])

    response = place(other, key="k")

    assert response["statusCode"] == 422
    assert body_of(response)["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert count_entities(orders_env.table, "Order") == 1
    assert len(outbox(orders_env.table, "OrderPlaced")) == 1


def test_idempotency_keys_belong_to_one_user(orders_env: OrdersEnv) -> None:
    a = body_of(place(order_body(orders_env), key="shared", user="u-1"))
    b = body_of(place(order_body(orders_env), key="shared", user="u-2"))
    assert a["orderId"] != b["orderId"]
    assert b["userId"] == "u-2"


def test_concurrent_requests_with_one_key_create_one_order(
    orders_env: OrdersEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All requests read "no record yet" before any writes; the transaction admits one.

    moto applies a transaction non-atomically across threads (it snapshots and restores whole
    tables), so AWS calls are serialised here as DynamoDB itself would apply them atomically."""
    from botocore.client import BaseClient
    from orders.service import Orders
    from orders.store import DynamoOrderStore
    from orders.wiring import orders

    one_call_at_a_time = threading.Lock()
    real_call = BaseClient._make_api_call

    def atomic_call(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        with one_call_at_a_time:
            return real_call(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", atomic_call)

    racers = 4
    all_read = threading.Barrier(racers, timeout=10)

    class ReadThenWait(DynamoOrderStore):
        def read_for_placement(self, *args: Any) -> Any:
            result = super().read_for_placement(*args)
            all_read.wait()
            return result

    responses: list[dict[str, Any]] = []
    lock = threading.Lock()

    def request() -> None:
        response = place(order_body(orders_env), key="race")
        with lock:
            responses.append(response)

    with orders.override(Orders(store=ReadThenWait.from_env())):
        threads = [threading.Thread(target=request) for _ in range(racers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert [r["statusCode"] for r in responses] == [202] * racers
    assert len({body_of(r)["orderId"] for r in responses}) == 1
    assert count_entities(orders_env.table, "Order") == 1
    assert len(outbox(orders_env.table, "OrderPlaced")) == 1


def test_a_racing_request_with_another_body_gets_422(orders_env: OrdersEnv) -> None:
    """The idempotency record appears between our read and our transaction (the other request won)."""
    from orders.service import Orders
    from orders.store import DynamoOrderStore
    from orders.wiring import orders

    class MissesTheRecord(DynamoOrderStore):
        def read_for_placement(self, *args: Any) -> Any:
            return None, super().read_for_placement(*args)[1]

    winner = body_of(place(order_body(orders_env), key="race"))
    with orders.override(Orders(store=MissesTheRecord.from_env())):
        same = place(order_body(orders_env), key="race")
        different = place(order_body(orders_env, paymentMethodId="pm_other"), key="race")

    assert same["statusCode"] == 202
    assert body_of(same)["orderId"] == winner["orderId"]
    assert different["statusCode"] == 422
    assert count_entities(orders_env.table, "Order") == 1


@pytest.mark.parametrize("key", [None, "", "x" * 129, "tab\there"])
def test_missing_or_invalid_idempotency_key_is_400(orders_env: OrdersEnv, key: str | None) -> None:
    response = place(order_body(orders_env), key=key)
    assert response["statusCode"] == 400
    assert response["multiValueHeaders"]["Content-Type"] == ["application/problem+json"]
    assert count_entities(orders_env.table, "Order") == 0


def test_unknown_product_is_422(orders_env: OrdersEnv) -> None:
    body = order_body(orders_env, items=[{"productId": "no-such-product", "quantity": 1}])
    response = place(body)
    assert response["statusCode"] == 422
    assert body_of(response)["errors"][0]["loc"] == ["body", "items", "0", "productId"]
    assert count_entities(orders_env.table, "Order") == 0


def test_mixed_currencies_are_422(orders_env: OrdersEnv) -> None:
    body = order_body(
        orders_env,
        items=[
            {"productId": orders_env.products["cup"], "quantity": 1},
            {"productId": orders_env.products["mug"], "quantity": 1},
        ],
    )
    assert place(body)["statusCode"] == 422


def test_a_product_listed_twice_is_422(orders_env: OrdersEnv) -> None:
    line = {"productId": orders_env.products["cup"], "quantity": 1}
    assert place(order_body(orders_env, items=[line, line]))["statusCode"] == 422


@pytest.mark.parametrize(
    "change",
    [
        {"items": []},
        {"items": [{"productId": "p", "quantity": 1}] * 51},
        {"items": [{"productId": "p", "quantity": 0}]},
        {"items": [{"productId": "p", "quantity": 101}]},
        {"items": [{"productId": "p", "quantity": 1.5}]},
        {"items": [{"productId": "p", "quantity": "1"}]},
        {"paymentMethodId": "card_visa"},
        {"paymentMethodId": ""},
        {"shippingAddress": "1 Main St"},
        {"shippingAddress": {"line1": 1.5}},
        {"shippingAddress": {"zip": 10**40}},
        {"shippingAddress": {"nested": {"a": "b"}}},
        {"status": "CONFIRMED"},
        {"userId": "someone-else"},
    ],
)
def test_invalid_order_bodies_are_422(orders_env: OrdersEnv, change: dict[str, Any]) -> None:
    response = place(order_body(orders_env, **change))
    assert response["statusCode"] == 422
    assert count_entities(orders_env.table, "Order") == 0


def test_fifty_lines_of_a_hundred_are_accepted(orders_env: OrdersEnv) -> None:
    from catalog.domain import new_product
    from catalog.store import DynamoProductStore

    from commerce.events import ProductCreated

    catalog = DynamoProductStore(orders_env.catalog_table)
    ids = []
    for n in range(50):
        product = new_product({"name": f"p{n}", "price": {"amount": 1, "currency": "EUR"}, "stock": 1000})
        event = ProductCreated(
            productId=product["productId"], name=f"p{n}", price=product["price"], stock=1000
        )
        catalog.create(product, event, correlation_id="t")
        ids.append(product["productId"])

    response = place(order_body(orders_env, items=[{"productId": i, "quantity": 100} for i in ids]))

    assert response["statusCode"] == 202
    assert body_of(response)["total"] == {"amount": 5000, "currency": "EUR"}


def test_malformed_json_is_400_and_no_identity_is_401(orders_env: OrdersEnv) -> None:
    from orders import place_order

    from tests.integration.catalog.helpers import api_event
    from tests.integration.orders.helpers import CONTEXT

    malformed = api_event("POST", "/orders", raw_body="{nope", user="u-1", headers={"Idempotency-Key": "k"})
    assert place_order.lambda_handler(malformed, CONTEXT)["statusCode"] == 400
    anonymous = api_event("POST", "/orders", body=order_body(orders_env), headers={"Idempotency-Key": "k"})
    assert place_order.lambda_handler(anonymous, CONTEXT)["statusCode"] == 401
