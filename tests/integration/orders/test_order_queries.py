"""GET /orders/{orderId} and GET /orders against moto: visibility, ordering, pagination, cursors."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.catalog.helpers import body_of, count_aws_calls
from tests.integration.orders.conftest import OrdersEnv
from tests.integration.orders.helpers import get, listing, place


def one_line(env: OrdersEnv) -> dict[str, Any]:
    return {"items": [{"productId": env.products["cup"], "quantity": 1}], "paymentMethodId": "pm_card_visa"}


@pytest.fixture
def ticking_clock() -> Iterator[None]:
    """Each new order is created one second after the previous one (the use case's injected clock)."""
    from orders.service import Orders
    from orders.store import DynamoOrderStore
    from orders.wiring import orders

    seconds = itertools.count()
    clock = lambda: f"2026-11-25T10:{next(seconds):05.2f}Z".replace(".", ":", 1)  # noqa: E731
    with orders.override(Orders(store=DynamoOrderStore.from_env(), clock=clock)):
        yield


def place_many(env: OrdersEnv, count: int, user: str = "u-1") -> list[str]:
    return [body_of(place(one_line(env), user=user, key=f"{user}-{n}"))["orderId"] for n in range(count)]


def test_owner_reads_an_order_with_one_get_item(orders_env: OrdersEnv) -> None:
    order = body_of(place(one_line(orders_env)))
    with count_aws_calls() as calls:
        response = get(order["orderId"])
    assert response["statusCode"] == 200
    assert body_of(response) == order
    assert dict(calls) == {"GetItem": 1}


def test_another_users_order_is_404_and_admin_sees_it(orders_env: OrdersEnv) -> None:
    order = body_of(place(one_line(orders_env), user="owner"))

    stranger = get(order["orderId"], user="stranger")
    unknown = get("no-such-order", user="stranger")

    assert stranger["statusCode"] == 404
    assert body_of(stranger) == body_of(unknown)  # nothing tells "not yours" from "no such order"
    assert get(order["orderId"], user="admin-1", roles="customer,admin")["statusCode"] == 200


def test_an_idempotency_record_id_is_not_an_order(orders_env: OrdersEnv) -> None:
    place(one_line(orders_env), key="k")
    assert get("IDEMPOTENCY#u-1#k")["statusCode"] == 404


def test_orders_are_listed_newest_first_across_pages_without_duplicates(
    orders_env: OrdersEnv, ticking_clock: None
) -> None:
    created = place_many(orders_env, 25)
    place_many(orders_env, 3, user="someone-else")

    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        query = {"limit": "10", **({"cursor": cursor} if cursor else {})}
        page = body_of(listing(**query))
        pages.append([order["orderId"] for order in page["items"]])
        cursor = page["nextCursor"]
        if cursor is None:
            break

    assert [len(page) for page in pages] == [10, 10, 5]
    assert [order_id for page in pages for order_id in page] == list(reversed(created))


def test_default_page_is_twenty_and_the_last_page_has_no_cursor(orders_env: OrdersEnv) -> None:
    place_many(orders_env, 21)
    first = body_of(listing())
    assert len(first["items"]) == 20
    assert first["nextCursor"]
    second = body_of(listing(cursor=first["nextCursor"]))
    assert len(second["items"]) == 1
    assert second["nextCursor"] is None
    exact = body_of(listing(limit="21"))
    assert len(exact["items"]) == 21
    assert exact["nextCursor"] is None


def test_listing_costs_one_query_once_the_cursor_key_is_cached(orders_env: OrdersEnv) -> None:
    place_many(orders_env, 3)
    first = body_of(listing(limit="1"))  # may read the cursor secret once per process
    with count_aws_calls() as calls:
        second = body_of(listing(limit="1", cursor=first["nextCursor"]))
    assert second["nextCursor"]
    assert dict(calls) == {"Query": 1}


def test_a_tampered_cursor_is_400(orders_env: OrdersEnv) -> None:
    place_many(orders_env, 3)
    cursor = body_of(listing(limit="1"))["nextCursor"]
    flipped = cursor[:5] + ("A" if cursor[5] != "A" else "B") + cursor[6:]
    for bad in (flipped, cursor[:-1], cursor + "A", "not-a-cursor", "e30.e30"):
        response = listing(cursor=bad)
        assert response["statusCode"] == 400, bad
        assert body_of(response)["status"] == 400


def test_a_cursor_from_another_user_is_400(orders_env: OrdersEnv) -> None:
    place_many(orders_env, 3, user="alice")
    place_many(orders_env, 3, user="bob")
    alice_cursor = body_of(listing(user="alice", limit="1"))["nextCursor"]
    assert listing(user="bob", cursor=alice_cursor)["statusCode"] == 400


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_limit_outside_1_to_100_is_422(orders_env: OrdersEnv, limit: str) -> None:
    assert listing(limit=limit)["statusCode"] == 422


def test_listing_needs_an_identity(orders_env: OrdersEnv) -> None:
    from orders import list_orders

    from tests.integration.catalog.helpers import api_event
    from tests.integration.orders.helpers import CONTEXT

    assert list_orders.lambda_handler(api_event("GET", "/orders"), CONTEXT)["statusCode"] == 401


@pytest.mark.parametrize("length", [2049, 4096, 20_000])
def test_a_cursor_of_any_length_is_400_not_422(orders_env: OrdersEnv, length: int) -> None:
    # Issue 18 finding 4: the query model used to cap the length (422); a bad cursor is a 400.
    for bad in ("A" * length, "A" * (length - 44) + "." + "B" * 43, "é" * length):
        response = listing(cursor=bad)
        assert response["statusCode"] == 400, len(bad)
        assert body_of(response)["detail"] == "The cursor is invalid. Start again without one."
