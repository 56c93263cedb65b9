"""Catalog and orders through the running local stack, as a shop client and an event listener see them:
an admin adds a product, a customer orders it (202 PENDING), replays the order, lists it, and
OrderPlaced reaches the event bus."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import LocalStackProcess
from tests.polling import wait_for

pytestmark = pytest.mark.e2e

ADMIN_EMAIL = os.environ.get("DEV_ADMIN_EMAIL", "admin@example.com")
ADMIN_PASSWORD = os.environ.get("DEV_ADMIN_PASSWORD", "admin-password-123")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(stack: LocalStackProcess, email: str, password: str) -> str | None:
    status, body = stack.json("POST", "/auth/login", {"email": email, "password": password})
    return str(body["accessToken"]) if status == 200 else None


def capture_queue(stack: LocalStackProcess, detail_type: str) -> str:
    """An SQS queue that receives every `detail_type` event put on the stack's bus."""
    bus = stack.outputs["EventBusName"]
    sqs, events = stack.client("sqs"), stack.client("events")
    name = f"capture-{uuid.uuid4().hex[:8]}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps({"detail-type": [detail_type]}))
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "capture", "Arn": queue_arn}])
    return str(queue_url)


def received(stack: LocalStackProcess, queue_url: str) -> list[dict[str, Any]]:
    messages = (
        stack.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    )
    return [json.loads(message["Body"]) for message in messages]


def test_customer_orders_a_new_product_and_order_placed_reaches_the_bus(
    local_stack: LocalStackProcess,
) -> None:
    # The local stack seeds the admin in the background at start-up.
    admin = wait_for(lambda: login(local_stack, ADMIN_EMAIL, ADMIN_PASSWORD), timeout=60, interval=0.5)
    assert admin, f"the seeded admin cannot log in\n{local_stack.log_tail()}"
    placed_events = capture_queue(local_stack, "OrderPlaced")

    product = {"name": f"E2E Mug {uuid.uuid4().hex[:6]}", "description": "Stoneware",
               "price": {"amount": 1500, "currency": "EUR"}, "stock": 10}  # fmt: skip
    status, created = local_stack.json("POST", "/products", product, bearer(admin))
    assert status == 201, created
    status, fetched = local_stack.json("GET", f"/products/{created['productId']}")
    assert (status, fetched) == (200, created)

    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    status, user = local_stack.json(
        "POST", "/auth/register", {"email": email, "password": "correct-horse-1", "name": "E2E"}
    )
    assert status == 201, user
    token = login(local_stack, email, "correct-horse-1")
    assert token

    line = {"productId": created["productId"], "quantity": 2, "unitPrice": {"amount": 1, "currency": "EUR"}}
    body = {"items": [line], "paymentMethodId": "pm_card_visa"}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    status, order = local_stack.json("POST", "/orders", body, {**bearer(token), **key})
    assert status == 202, order
    assert order["status"] == "PENDING"
    assert order["total"] == {"amount": 3000, "currency": "EUR"}  # the catalog's price, not the client's

    status, again = local_stack.json("POST", "/orders", body, {**bearer(token), **key})
    assert status == 202
    assert again["orderId"] == order["orderId"]
    status, missing_key = local_stack.json("POST", "/orders", body, bearer(token))
    assert status == 400, missing_key

    status, page = local_stack.json("GET", "/orders?limit=10", headers=bearer(token))
    assert status == 200
    assert [o["orderId"] for o in page["items"]] == [order["orderId"]]
    status, _ = local_stack.json("GET", f"/orders/{order['orderId']}", headers=bearer(admin))
    assert status == 200

    def order_placed() -> list[dict[str, Any]]:
        return [
            e
            for e in received(local_stack, placed_events)
            if e["detail"]["data"]["orderId"] == order["orderId"]
        ]

    # Cursors are signed with the stack's generated secret: a real next page, and a tampered one.
    status, first = local_stack.json("GET", "/products?limit=1")
    assert status == 200
    assert first["nextCursor"], "the seeded catalog has more than one product"
    status, second = local_stack.json("GET", f"/products?limit=1&cursor={first['nextCursor']}")
    assert status == 200
    assert second["items"] != first["items"]
    tampered = (
        "A" + first["nextCursor"][1:] if first["nextCursor"][0] != "A" else "B" + first["nextCursor"][1:]
    )
    assert local_stack.json("GET", f"/products?limit=1&cursor={tampered}")[0] == 400

    events = wait_for(order_placed, timeout=30, interval=0.2)
    assert events, f"OrderPlaced never reached the bus\n{local_stack.log_tail()}"
    assert events[0]["source"] == "commerce.orders"
    assert events[0]["detail"]["data"]["total"] == {"amount": 3000, "currency": "EUR"}
    assert events[0]["detail"]["metadata"]["eventId"] == order["orderId"]
