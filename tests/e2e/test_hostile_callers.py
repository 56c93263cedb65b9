"""Issue 18 through the running local stack, as an attacker would try it: real HTTP through the API
Gateway emulation (its authorizer and gateway responses as the template configures them), real
workers, the AWS stand-in. Each test names the finding it proves. Polls with deadlines, never sleeps."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local.stripe_stub import sign
from tests.e2e.conftest import LocalStackProcess
from tests.e2e.test_orders_flow import bearer, login
from tests.e2e.test_saga import admin_token, new_customer, new_product, place, saga_log, settles_to

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery-1"
DEEP = "[" * 1000 + "]" * 1000


def problem(
    stack: LocalStackProcess, method: str, path: str, data: bytes, headers: dict[str, str]
) -> tuple[int, Any]:
    status, response_headers, body = stack.request(method, path, data=data, headers=headers)
    assert response_headers.get("Content-Type", "").startswith("application/problem+json"), (status, body)
    return status, json.loads(body)


def register(stack: LocalStackProcess, email: str) -> int:
    status, _ = stack.json("POST", "/auth/register", {"email": email, "password": PASSWORD, "name": "Eve"})
    return status


# ---- findings 1, 2, 8: the request edge -----------------------------------------------------------


def test_deeply_nested_json_is_422_not_500(local_stack: LocalStackProcess) -> None:
    token = new_customer(local_stack)
    for method, path, headers in (
        ("PATCH", "/users/me", bearer(token)),
        ("POST", "/auth/register", {}),
        ("POST", "/orders", {**bearer(token), "Idempotency-Key": "deep-1"}),
    ):
        status, body = problem(local_stack, method, path, ('{"name":' + DEEP + "}").encode(), headers)
        assert status == 422, (path, body)


def test_a_body_wrapped_in_an_array_is_refused_on_every_json_route(local_stack: LocalStackProcess) -> None:
    token = new_customer(local_stack)
    email = f"eve-{uuid.uuid4().hex[:8]}@example.com"
    assert register(local_stack, email) == 201
    _, tokens = local_stack.json("POST", "/auth/login", {"email": email, "password": PASSWORD})
    wrapped = {
        ("POST", "/auth/register"): {"email": f"x{email}", "password": PASSWORD, "name": "X"},
        ("POST", "/auth/login"): {"email": email, "password": PASSWORD},
        ("POST", "/auth/refresh"): {"refreshToken": tokens["refreshToken"]},
        ("POST", "/auth/logout"): {"refreshToken": tokens["refreshToken"]},
        ("PATCH", "/users/me"): {"name": "Mallory"},
        ("POST", "/orders"): {
            "items": [{"productId": "p", "quantity": 1}],
            "paymentMethodId": "pm_card_visa",
        },
    }
    for (method, path), body in wrapped.items():
        headers = {**bearer(token), "Idempotency-Key": str(uuid.uuid4())}
        status, detail = problem(local_stack, method, path, json.dumps([body]).encode(), headers)
        assert status == 422, (path, detail)
    assert local_stack.json("POST", "/auth/refresh", {"refreshToken": tokens["refreshToken"]})[0] == 200


def test_media_types_are_case_insensitive(local_stack: LocalStackProcess) -> None:
    email = f"case-{uuid.uuid4().hex[:8]}@example.com"
    body = json.dumps({"email": email, "password": PASSWORD, "name": "Case"}).encode()
    status, _, raw = local_stack.request(
        "POST", "/auth/register", data=body, headers={"Content-Type": "Application/JSON"}
    )
    assert status == 201, raw
    login_body = json.dumps({"email": email, "password": PASSWORD}).encode()
    status, _, raw = local_stack.request(
        "POST", "/auth/login", data=login_body, headers={"Content-Type": "APPLICATION/JSON; Charset=UTF-8"}
    )
    assert status == 200, raw


# ---- finding 3: the webhook ----------------------------------------------------------------------


def _webhook_secret(stack: LocalStackProcess) -> str:
    arn = stack.outputs["StripeSecretArn"]
    value = stack.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    return str(json.loads(value)["webhookSecret"])


def test_the_webhook_never_answers_5xx(local_stack: LocalStackProcess) -> None:
    secret = _webhook_secret(local_stack)
    event = (
        '{"id":"evt_x","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_x"}}}'
    )
    now = int(time.time())
    cases = [
        (event, sign(event, secret) + "\u00e9"),  # not ASCII
        ("[]", sign("[]", secret)),
        ("null", sign("null", secret)),
        (event, sign(event, secret, timestamp=now + 3600)),  # far in the future
        (event, sign(event, secret, timestamp=now - 3600)),
    ]
    for payload, signature in cases:
        status, body = problem(local_stack, "POST", "/payments/webhook", payload.encode(),
                               {"Stripe-Signature": signature.encode().decode("latin-1")})  # fmt: skip
        assert status == 400, (payload, signature, body)


# ---- finding 4: cursors -------------------------------------------------------------------------


def test_an_over_long_cursor_is_400(local_stack: LocalStackProcess) -> None:
    token = new_customer(local_stack)
    for path, headers in (("/products", {}), ("/orders", bearer(token))):
        status, body = problem(local_stack, "GET", f"{path}?cursor={'A' * 5000}", b"", headers)
        assert status == 400, body


# ---- finding 5: revocation ----------------------------------------------------------------------


def test_a_deleted_users_token_stops_working_at_once_on_every_route(local_stack: LocalStackProcess) -> None:
    admin = admin_token(local_stack)
    product_id = new_product(local_stack, admin, stock=5)
    token = new_customer(local_stack)
    order = place(local_stack, token, product_id, 1, "pm_card_visa")  # works, and would warm a cache
    assert local_stack.json("GET", "/users/me", headers=bearer(token))[0] == 200

    assert local_stack.request("DELETE", "/users/me", headers=bearer(token))[0] == 204

    protected = [
        ("GET", "/users/me", None), ("PATCH", "/users/me", {"name": "Ghost"}), ("DELETE", "/users/me", None),
        ("GET", "/orders", None), ("GET", f"/orders/{order['orderId']}", None),
        ("POST", f"/orders/{order['orderId']}/cancel", None),
        ("POST", "/orders", {"items": [{"productId": product_id, "quantity": 1}],
                             "paymentMethodId": "pm_card_visa"}),
    ]  # fmt: skip
    for method, path, body in protected:
        headers = {**bearer(token), "Idempotency-Key": str(uuid.uuid4())}
        status, response = local_stack.json(method, path, body, headers)
        assert status == 401, (method, path, response)
        assert response["status"] == 401


# ---- finding 6 + issue 22 finding 9: the lockout --------------------------------------------------


def test_twenty_parallel_wrong_passwords_get_at_most_five_401s(local_stack: LocalStackProcess) -> None:
    email = f"lock-{uuid.uuid4().hex[:8]}@example.com"
    assert register(local_stack, email) == 201

    def attempt(_: int) -> int:
        return local_stack.json("POST", "/auth/login", {"email": email, "password": "wrong-password-1"})[0]

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(attempt, range(20)))
    assert statuses.count(401) <= 5, statuses
    assert set(statuses) <= {401, 429}, statuses
    assert login(local_stack, email, PASSWORD) is None  # even the right password waits now


# ---- finding 7: one account per address ------------------------------------------------------------


def test_nfc_and_nfd_spellings_are_one_account(local_stack: LocalStackProcess) -> None:
    local = f"jos\u00e9-{uuid.uuid4().hex[:6]}"
    assert register(local_stack, f"{local}@example.com") == 201
    assert register(local_stack, f"{local.replace(chr(0xE9), 'e' + chr(0x301))}@example.com") == 409


# ---- finding 9: currencies ----------------------------------------------------------------------


def test_an_unassigned_currency_is_422_and_jpy_has_no_minor_unit(local_stack: LocalStackProcess) -> None:
    admin = admin_token(local_stack)
    product = {
        "name": "Yen thing",
        "description": "",
        "price": {"amount": 500, "currency": "XXY"},
        "stock": 5,
    }
    assert local_stack.json("POST", "/products", product, bearer(admin))[0] == 422
    product["price"] = {"amount": 500, "currency": "JPY"}
    status, created = local_stack.json("POST", "/products", product, bearer(admin))
    assert status == 201
    assert created["price"] == {"amount": 500, "currency": "JPY"}
    token = new_customer(local_stack)
    order = place(local_stack, token, created["productId"], 2, "pm_card_visa")
    assert order["total"] == {"amount": 1000, "currency": "JPY"}
    assert settles_to(local_stack, token, order["orderId"], "CONFIRMED") == "CONFIRMED", saga_log(local_stack)


# ---- finding 11: CORS ---------------------------------------------------------------------------

WEB_APP = "http://localhost:5173"


def test_a_browser_preflight_is_answered_by_the_gateway_and_errors_carry_cors(
    local_stack: LocalStackProcess,
) -> None:
    status, headers, _ = local_stack.request(
        "OPTIONS",
        "/orders",
        data=b"",
        headers={
            "Origin": WEB_APP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
        },
    )
    assert status == 204, headers
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert {"Authorization", "Content-Type", "Idempotency-Key"} <= set(
        headers["Access-Control-Allow-Headers"].split(",")
    )
    assert "POST" in headers["Access-Control-Allow-Methods"].split(",")
    # The gateway's own 401 (no token) and a function's answer both let the page read them.
    status, headers, _ = local_stack.request("GET", "/orders", headers={"Origin": WEB_APP})
    assert status == 401
    assert headers["Access-Control-Allow-Origin"] == "*"
    token = new_customer(local_stack)
    status, headers, _ = local_stack.request("GET", "/orders", headers={**bearer(token), "Origin": WEB_APP})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"  # dev allows any origin (cdk/config.py)
    assert "X-Correlation-Id" in headers["Access-Control-Expose-Headers"].split(",")
