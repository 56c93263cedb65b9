"""Driving the orders functions with API Gateway events."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import FakeLambdaContext
from tests.integration.catalog.helpers import api_event, table_items

CONTEXT = FakeLambdaContext()


def place(
    body: Any, *, user: str = "u-1", key: str | None = "key-1", roles: str = "customer"
) -> dict[str, Any]:
    from orders import place_order

    headers = {"Idempotency-Key": key} if key is not None else {}
    return place_order.lambda_handler(
        api_event("POST", "/orders", body=body, user=user, roles=roles, headers=headers), CONTEXT
    )


def get(order_id: str, *, user: str = "u-1", roles: str = "customer") -> dict[str, Any]:
    from orders import get_order

    event = api_event(
        "GET",
        f"/orders/{order_id}",
        resource="/orders/{orderId}",
        path_parameters={"orderId": order_id},
        user=user,
        roles=roles,
    )
    return get_order.lambda_handler(event, CONTEXT)


def listing(*, user: str = "u-1", **query: str) -> dict[str, Any]:
    from orders import list_orders

    return list_orders.lambda_handler(api_event("GET", "/orders", query=query or None, user=user), CONTEXT)


def cancel(order_id: str, *, user: str = "u-1", roles: str = "customer") -> dict[str, Any]:
    from orders import cancel_order

    event = api_event(
        "POST",
        f"/orders/{order_id}/cancel",
        resource="/orders/{orderId}/cancel",
        path_parameters={"orderId": order_id},
        user=user,
        roles=roles,
    )
    return cancel_order.lambda_handler(event, CONTEXT)


def outbox(table: str, detail_type: str | None = None) -> list[dict[str, Any]]:
    """The envelopes in the table's outbox (optionally of one event type)."""
    return [
        json.loads(item["detail"]["S"])
        for item in table_items(table)
        if item["pk"]["S"].startswith("OUTBOX#") and detail_type in (None, item["detailType"]["S"])
    ]


def count_entities(table: str, entity: str) -> int:
    return sum(1 for item in table_items(table) if item.get("entity", {}).get("S") == entity)


def transition(order_id: str, to_status: str, **kwargs: Any) -> Any:
    """The orders use case the saga consumers call (`Orders.transition`), wired as in a function."""
    from orders.wiring import orders

    return orders().transition(order_id, to_status, **kwargs)
