"""The order saga through the running local stack (issue 6): real HTTP, real workers, the AWS
stand-in and the Stripe stub the local stack starts. Polls with deadlines, never sleeps."""

from __future__ import annotations

import functools
import json
import time
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import LocalStackProcess
from tests.e2e.test_orders_flow import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, login
from tests.polling import wait_for

pytestmark = pytest.mark.e2e

SAGA_TIMEOUT = 60

# Note: the local stand-in (moto server) does not isolate a cancelled TransactWriteItems from
# concurrent readers (see docs/saga.md, "Open points"); the saga avoids writes it knows will be
# cancelled, so these paths do not depend on that.


def admin_token(stack: LocalStackProcess) -> str:
    token = wait_for(lambda: login(stack, ADMIN_EMAIL, ADMIN_PASSWORD), timeout=60, interval=0.5)
    assert token, f"the seeded admin cannot log in\n{stack.log_tail()}"
    return str(token)


def new_product(stack: LocalStackProcess, admin: str, stock: int) -> str:
    product = {"name": f"Saga {uuid.uuid4().hex[:6]}", "description": "e2e",
               "price": {"amount": 1200, "currency": "EUR"}, "stock": stock}  # fmt: skip
    status, created = stack.json("POST", "/products", product, bearer(admin))
    assert status == 201, created
    return str(created["productId"])


def new_customer(stack: LocalStackProcess) -> str:
    email = f"saga-{uuid.uuid4().hex[:8]}@example.com"
    status, user = stack.json(
        "POST", "/auth/register", {"email": email, "password": "correct-horse-1", "name": "S"}
    )
    assert status == 201, user
    token = login(stack, email, "correct-horse-1")
    assert token
    return token


def place(
    stack: LocalStackProcess, token: str, product_id: str, quantity: int, method: str
) -> dict[str, Any]:
    body = {"items": [{"productId": product_id, "quantity": quantity}], "paymentMethodId": method}
    status, order = stack.json(
        "POST", "/orders", body, {**bearer(token), "Idempotency-Key": str(uuid.uuid4())}
    )
    assert status == 202, order
    return dict(order)


def settles_to(stack: LocalStackProcess, token: str, order_id: str, expected: str) -> str:
    def status() -> str | None:
        code, order = stack.json("GET", f"/orders/{order_id}", headers=bearer(token))
        return str(order["status"]) if code == 200 and order["status"] == expected else None

    return str(wait_for(status, timeout=SAGA_TIMEOUT, interval=0.2) or "")


def saga_log(stack: LocalStackProcess) -> str:
    """The stack's log without the polling noise (each poll runs GetOrder and, its result not being
    cached, the authorizer), for failure messages."""
    noise = ("GetOrder", "IdentityAuthorizer")
    return "\n".join(line for line in stack.log_tail(400).splitlines() if not any(n in line for n in noise))


def stock(stack: LocalStackProcess, product_id: str) -> int:
    status, product = stack.json("GET", f"/products/{product_id}")
    assert status == 200
    return int(product["stock"])


def test_order_with_a_visa_card_is_confirmed_and_stock_reserved(local_stack: LocalStackProcess) -> None:
    admin = admin_token(local_stack)
    product_id = new_product(local_stack, admin, stock=5)
    token = new_customer(local_stack)

    order = place(local_stack, token, product_id, 2, "pm_card_visa")

    assert settles_to(local_stack, token, order["orderId"], "CONFIRMED") == "CONFIRMED", (
        local_stack.log_tail()
    )
    assert stock(local_stack, product_id) == 3


def test_declined_card_cancels_the_order_and_restores_stock(local_stack: LocalStackProcess) -> None:
    admin = admin_token(local_stack)
    product_id = new_product(local_stack, admin, stock=5)
    token = new_customer(local_stack)

    order = place(local_stack, token, product_id, 2, "pm_card_chargeDeclined")

    assert settles_to(local_stack, token, order["orderId"], "CANCELLED") == "CANCELLED", (
        local_stack.log_tail()
    )
    assert wait_for(lambda: stock(local_stack, product_id) == 5, timeout=SAGA_TIMEOUT, interval=0.2)


def test_out_of_stock_order_is_rejected(local_stack: LocalStackProcess) -> None:
    admin = admin_token(local_stack)
    product_id = new_product(local_stack, admin, stock=1)
    token = new_customer(local_stack)

    order = place(local_stack, token, product_id, 2, "pm_card_visa")

    assert settles_to(local_stack, token, order["orderId"], "REJECTED") == "REJECTED", saga_log(local_stack)
    assert stock(local_stack, product_id) == 1


def test_webhook_with_a_bad_signature_is_rejected(local_stack: LocalStackProcess) -> None:
    payload = json.dumps({"id": "evt_forged", "type": "payment_intent.succeeded", "data": {"object": {}}})
    forged = f"t={int(time.time())},v1={'0' * 64}"

    for headers in ({}, {"Stripe-Signature": forged}):
        status, response_headers, body = local_stack.request(
            "POST", "/payments/webhook", data=payload.encode(), headers=headers
        )
        assert status == 400, body
        assert response_headers.get("Content-Type", "").startswith("application/problem+json")


def warehouse_event(stack: LocalStackProcess, detail_type: str, data: dict[str, Any]) -> None:
    """An internal system publishing to the bus with boto3, as CONTRACT §2 describes."""
    detail = {
        "metadata": {
            "eventId": str(uuid.uuid4()),
            "eventVersion": "1",
            "occurredAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "correlationId": "warehouse-e2e",
        },
        "data": data,
    }
    answer = stack.client("events").put_events(
        Entries=[
            {
                "EventBusName": stack.outputs["EventBusName"],
                "Source": "warehouse",
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
            }
        ]
    )
    assert answer["FailedEntryCount"] == 0


def test_shipment_dispatched_from_the_warehouse_ships_a_confirmed_order(
    local_stack: LocalStackProcess,
) -> None:
    admin = admin_token(local_stack)
    product_id = new_product(local_stack, admin, stock=3)
    token = new_customer(local_stack)
    order = place(local_stack, token, product_id, 1, "pm_card_visa")
    assert settles_to(local_stack, token, order["orderId"], "CONFIRMED") == "CONFIRMED", saga_log(local_stack)

    warehouse_event(
        local_stack,
        "ShipmentDispatched",
        {"orderId": order["orderId"], "carrier": "UPS", "trackingNumber": "1Z999AA10123456784"},
    )

    assert settles_to(local_stack, token, order["orderId"], "SHIPPED") == "SHIPPED", saga_log(local_stack)
    status, _ = local_stack.json("POST", f"/orders/{order['orderId']}/cancel", headers=bearer(token))
    assert status == 409


def test_stock_replenished_from_the_warehouse_grows_stock(local_stack: LocalStackProcess) -> None:
    admin = admin_token(local_stack)
    product_id = new_product(local_stack, admin, stock=2)

    warehouse_event(local_stack, "StockReplenished", {"productId": product_id, "quantity": 7})

    assert wait_for(lambda: stock(local_stack, product_id) == 9, timeout=SAGA_TIMEOUT, interval=0.2), (
        saga_log(local_stack)
    )


def test_twenty_concurrent_orders_for_five_units_confirm_exactly_five(local_stack: LocalStackProcess) -> None:
    from concurrent.futures import ThreadPoolExecutor

    admin = admin_token(local_stack)
    product_id = new_product(local_stack, admin, stock=5)
    customers = [new_customer(local_stack) for _ in range(4)]

    def order(n: int) -> tuple[str, dict[str, Any]]:
        token = customers[n % len(customers)]
        return token, place(local_stack, token, product_id, 1, "pm_card_visa")

    with ThreadPoolExecutor(max_workers=20) as pool:
        orders = list(pool.map(order, range(20)))

    def final_status(token: str, order_id: str) -> str | None:
        code, order = local_stack.json("GET", f"/orders/{order_id}", headers=bearer(token))
        return str(order["status"]) if code == 200 and order["status"] != "PENDING" else None

    outcomes = [
        wait_for(functools.partial(final_status, token, order["orderId"]), timeout=SAGA_TIMEOUT, interval=0.3)
        for token, order in orders
    ]
    assert outcomes.count("CONFIRMED") == 5, (outcomes, saga_log(local_stack))
    assert outcomes.count("REJECTED") == 15, outcomes
    assert stock(local_stack, product_id) == 0
