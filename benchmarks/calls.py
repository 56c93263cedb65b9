"""AWS calls and DynamoDB capacity per API operation and per saga step, and the saga's invocations.

    python -m benchmarks.calls [--orders 5]

Runs the local stack in this process (tools/instrumented_stack.py, no faults) with the worker hook
that logs every AWS API call a function makes (DynamoDB calls ask for ReturnConsumedCapacity).
A user registers and logs in; then each API operation is called and `--orders` orders go through
the whole saga (POST /orders → CONFIRMED, polled). Calls are grouped by function (one function per
route and per saga step) and divided by that function's invocations.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.local_api import Client  # noqa: E402
from tools.instrumented_stack import InstrumentedStack  # noqa: E402

READ_OPS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}


def measure(orders: int = 5, deadline_s: float = 120) -> dict[str, Any]:
    stack = InstrumentedStack(call_log=True).start()
    try:
        return _measure(stack, orders, deadline_s)
    finally:
        stack.stop()


def _measure(stack: InstrumentedStack, orders: int, deadline_s: float) -> dict[str, Any]:
    client = Client(stack.api_url)
    email, password = f"calls-{uuid.uuid4().hex[:8]}@example.com", "calls-password-123"
    client.call("POST", "/auth/register", {"email": email, "password": password, "name": "Calls"})
    _, tokens = client.call("POST", "/auth/login", {"email": email, "password": password})
    auth = {"Authorization": f"Bearer {tokens['accessToken']}"}
    _, products = client.call("GET", "/products?limit=5")
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
        status, order = client.call("POST", "/orders", body, {**auth, "Idempotency-Key": uuid.uuid4().hex})
        if status != 202:
            raise RuntimeError(f"POST /orders answered {status}: {order}")
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

    stack.reset_calls()
    client.call("GET", "/health")
    client.call("GET", "/products?limit=20")
    client.call("GET", f"/products/{product}")
    client.call("GET", f"/orders/{order_ids[0]}", headers=auth)
    client.call("GET", "/orders?limit=20", headers=auth)
    client.call("GET", "/users/me", headers=auth)
    client.call("POST", "/auth/login", {"email": email, "password": password})
    _deadline_quiet(stack, 30)
    api_invocations = dict(stack.tally.invocations)
    api_calls = stack.calls()

    functions = {spec.name: spec for spec in stack.functions.values()}
    rows = _rows(saga_calls, saga_invocations, functions, "saga (per order)", per=orders)
    rows += _rows(api_calls, api_invocations, functions, "api (per request)", per=None)
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
        "rows": rows,
    }


def _deadline_quiet(stack: InstrumentedStack, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not stack.quiet(0.5):
        pass


def _rows(
    calls: list[dict[str, Any]],
    invocations: dict[str, int],
    functions: dict[str, Any],
    scope: str,
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
                "scope": scope,
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
            f"{row['scope']:<18} {row['function']:<46} {row['invocations']:>5g} "
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
