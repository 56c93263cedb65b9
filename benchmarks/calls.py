"""AWS calls and DynamoDB capacity per API operation and per saga step, and the saga's invocations.

    python -m benchmarks.calls [--orders 5]

Runs the local stack in this process (local/instrumented.py, no faults) with the worker hook
that logs every AWS API call a function makes (DynamoDB calls ask for ReturnConsumedCapacity).
A user registers and logs in; `--orders` orders go through the whole saga (POST /orders → CONFIRMED,
polled); then every route of the API is called once, warm (a first round warms each function up), and
what the requests set off (consumers, relays, the authorizer) is reported per invocation. Calls are
grouped by function (one function per route and per saga step) and divided by that function's
invocations.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local.client import Client
from local.instrumented import TEMPLATE, InstrumentedStack
from local.seed import admin_credentials

ROOT = Path(__file__).resolve().parents[1]

READ_OPS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}


def measure(orders: int = 5, deadline_s: float = 120, template: Path = TEMPLATE) -> dict[str, Any]:
    stack = InstrumentedStack(template, call_log=True).start()
    try:
        return _measure(stack, orders, deadline_s)
    finally:
        stack.stop()


def _measure(stack: InstrumentedStack, orders: int, deadline_s: float) -> dict[str, Any]:
    client = Client(stack.api_url)
    email, password = f"calls-{uuid.uuid4().hex[:8]}@example.com", "calls-password-123"
    _expect(client, 201, "POST", "/auth/register", {"email": email, "password": password, "name": "Calls"})
    auth = _bearer(client, email, password)
    _, products = _expect(client, 200, "GET", "/products?limit=5")
    product = products["items"][0]["productId"]
    saga_ms: list[float] = []
    order_ids = []
    for number in range(orders + 1):  # the first order warms every function up and is not counted
        if number == 1:
            _deadline_quiet(stack, 30)
            stack.reset_calls()
            saga_ms.clear()
        body = {"items": [{"productId": product, "quantity": 1}], "paymentMethodId": "pm_card_visa"}
        started = time.perf_counter()
        headers = {**auth, "Idempotency-Key": uuid.uuid4().hex}
        _, order = _expect(client, 202, "POST", "/orders", body, headers)
        order_ids.append(order["orderId"])
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            _, current = client.call("GET", f"/orders/{order['orderId']}", headers=auth)
            if current.get("status") in ("CONFIRMED", "REJECTED", "CANCELLED"):
                break
            time.sleep(0.02)
        if current.get("status") != "CONFIRMED":
            raise RuntimeError(f"order {order['orderId']} ended {current.get('status')}")
        saga_ms.append((time.perf_counter() - started) * 1000)
        _deadline_quiet(stack, 30)
    # GET /orders/{id} is the client polling for the outcome, not a saga step.
    polling = {
        lid for lid, spec in stack.functions.items() if spec.handler == "orders.get_order.lambda_handler"
    }
    saga_invocations = {k: v for k, v in stack.tally.invocations.items() if k not in polling}
    saga_durations = {k: v for k, v in stack.tally.duration_ms.items() if k not in polling}
    polling_names = {stack.functions[lid].name for lid in polling}
    saga_calls = [c for c in stack.calls() if c["fn"] not in polling_names]

    api_calls, api_invocations = _api_operations(stack, client, email, password, order_ids, product)

    functions = {spec.name: spec for spec in stack.functions.values()}
    routes = _routes(stack)
    authorizers = _authorizers(stack)
    rows = _rows(saga_calls, saga_invocations, functions, lambda _: "saga (per order)", per=orders)
    rows += _rows(
        api_calls, api_invocations, functions, lambda name: _api_scope(name, routes, authorizers), per=None
    )
    for row in rows:
        if row["function"] in routes:
            row["route"] = routes[row["function"]]
    return {
        "orders": orders,
        "saga_latency_ms": {
            "p50": round(statistics.median(saga_ms), 1),
            "max": round(max(saga_ms), 1),
            "samples": [round(x, 1) for x in saga_ms],
        },
        "saga_invocations_per_order": {k: v / orders for k, v in saga_invocations.items()},
        "saga_duration_ms_per_order": {k: round(v / orders, 1) for k, v in saga_durations.items()},
        "memory_mb": {spec.logical_id: spec.memory_mb for spec in stack.functions.values()},
        "routes": sorted(set(routes.values())),
        "rows": rows,
    }


def _routes(stack: InstrumentedStack) -> dict[str, str]:
    """Function logical id → "METHOD /path" of the API route it serves."""
    api = stack.api
    if api is None:
        return {}
    return {
        route.function.logical_id: f"{route.method} {route.path}"
        for route in api.routes
        if route.function is not None
    }


def _authorizers(stack: InstrumentedStack) -> set[str]:
    """Logical ids of the functions the API's routes use as Lambda authorizers."""
    api = stack.api
    if api is None:
        return set()
    return {route.authorizer.function.logical_id for route in api.routes if route.authorizer is not None}


def _api_scope(function: str, routes: dict[str, str], authorizers: set[str]) -> str:
    if function in routes:
        return "api (per request)"
    if function in authorizers:
        return "authorizer (per invocation)"
    # Consumers and relays set off by the requests (UserRegistered, OrderCancelled, ...).
    return "async (per invocation)"


def _api_operations(
    stack: InstrumentedStack,
    client: Client,
    email: str,
    password: str,
    order_ids: list[str],
    product: str,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Every route of the API once, warm: a first round warms each function up (its per-process reads
    of keys, secrets and parameters happen once, not per request), the second is counted."""
    if len(order_ids) < 2:
        raise RuntimeError("the API round needs two confirmed orders to cancel (--orders >= 1)")
    admin_email, admin_password = admin_credentials()
    _, admin = _expect(client, 200, "POST", "/auth/login", {"email": admin_email, "password": admin_password})
    admin_auth = {"Authorization": f"Bearer {admin['accessToken']}"}
    _, me = _expect(client, 200, "GET", "/users/me", headers=_bearer(client, email, password))
    for counted, order_id in ((False, order_ids[0]), (True, order_ids[1])):
        # Prepared before the count: a user to delete, and refresh tokens to rotate and to revoke.
        other_email = f"calls-{uuid.uuid4().hex[:8]}@example.com"
        _expect(
            client, 201, "POST", "/auth/register", {"email": other_email, "password": password, "name": "X"}
        )
        other_auth = _bearer(client, other_email, password)
        login = {"email": email, "password": password}
        _, to_refresh = _expect(client, 200, "POST", "/auth/login", login)
        _, to_revoke = _expect(client, 200, "POST", "/auth/login", login)
        auth = _bearer(client, email, password)
        _deadline_quiet(stack, 30)
        if counted:
            stack.reset_calls()
        new_user = {"email": f"calls-{uuid.uuid4().hex[:8]}@example.com", "password": password, "name": "N"}
        new_product = {
            "name": "Calls",
            "description": "d",
            "price": {"amount": 100, "currency": "EUR"},
            "stock": 1,
        }
        _expect(client, 200, "GET", "/health")
        _expect(client, 200, "GET", "/swagger")
        _expect(client, 201, "POST", "/auth/register", new_user)
        _expect(client, 200, "POST", "/auth/login", login)
        _expect(client, 200, "POST", "/auth/refresh", {"refreshToken": to_refresh["refreshToken"]})
        _expect(client, 204, "POST", "/auth/logout", {"refreshToken": to_revoke["refreshToken"]})
        _expect(client, 200, "GET", "/.well-known/jwks.json")
        _expect(client, 200, "GET", "/users/me", headers=auth)
        _expect(client, 200, "PATCH", "/users/me", {"name": "Calls"}, headers=auth)
        _expect(client, 200, "GET", f"/users/{me['userId']}", headers=admin_auth)
        _expect(client, 204, "DELETE", "/users/me", headers=other_auth)
        _expect(client, 200, "GET", "/products?limit=20")
        _expect(client, 200, "GET", f"/products/{product}")
        _expect(client, 201, "POST", "/products", new_product, headers=admin_auth)
        _expect(client, 200, "PATCH", f"/products/{product}", {"description": "Calls"}, headers=admin_auth)
        _expect(client, 200, "GET", f"/orders/{order_id}", headers=auth)
        _expect(client, 200, "GET", "/orders?limit=20", headers=auth)
        _expect(client, 200, "POST", f"/orders/{order_id}/cancel", headers=auth)
        _deadline_quiet(stack, 30)
    return stack.calls(), dict(stack.tally.invocations)


def _bearer(client: Client, email: str, password: str) -> dict[str, str]:
    _, tokens = _expect(client, 200, "POST", "/auth/login", {"email": email, "password": password})
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


def _expect(
    client: Client,
    status: int,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    answer = client.call(method, path, body, headers)
    if answer[0] != status:
        raise RuntimeError(f"{method} {path} answered {answer[0]}, not {status}: {answer[1]}")
    return answer


def _deadline_quiet(stack: InstrumentedStack, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not stack.quiet(0.5):
        pass


def _rows(
    calls: list[dict[str, Any]],
    invocations: dict[str, int],
    functions: dict[str, Any],
    scope: Callable[[str], str],
    per: int | None,
) -> list[dict[str, Any]]:
    grouped: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"calls": defaultdict(int), "rcu": 0.0, "wcu": 0.0}
    )
    for call in calls:
        spec = functions.get(call["fn"])
        name = spec.logical_id if spec else call["fn"]
        row = grouped[name]
        row["calls"][f"{call['service']}:{call['op']}"] += 1
        if call.get("cu") is not None:
            row["rcu" if call["op"] in READ_OPS else "wcu"] += float(call["cu"])
    rows = []
    for name in sorted(set(grouped) | set(invocations)):
        count = invocations.get(name, 0)
        divisor = per if per else max(1, count)
        row = grouped[name]
        handler = next((s.handler for s in functions.values() if s.logical_id == name), "")
        rows.append(
            {
                "scope": scope(name),
                "function": name,
                "handler": handler,
                "invocations": round(count / (per or max(1, count)), 2),
                "aws_calls": {k: round(v / divisor, 2) for k, v in sorted(row["calls"].items())},
                "rcu": round(row["rcu"] / divisor, 2),
                "wcu": round(row["wcu"] / divisor, 2),
            }
        )
    return rows


def print_table(report: dict[str, Any]) -> None:
    print(
        f"\nAWS calls and DynamoDB capacity (moto's ReturnConsumedCapacity; transactions 2 WCU/item/KB); "
        f"saga over {report['orders']} orders"
    )
    print(f"{'scope':<18} {'function':<46} {'inv':>5} {'RCU':>6} {'WCU':>6}  calls")
    for row in report["rows"]:
        calls = ", ".join(f"{k} {v:g}" for k, v in row["aws_calls"].items())
        print(
            f"{row['scope']:<18} {row.get('route') or row['function']:<46} {row['invocations']:>5g} "
            f"{row['rcu']:>6g} {row['wcu']:>6g}  {calls}"
        )
    latency = report["saga_latency_ms"]
    print(f"saga latency POST /orders -> CONFIRMED: p50 {latency['p50']} ms, max {latency['max']} ms")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=5)
    parser.add_argument("--out")
    args = parser.parse_args()
    report = measure(args.orders)
    print_table(report)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
