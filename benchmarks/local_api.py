"""Warm latency and throughput of the local API (loopback only, bounded request counts).

    python benchmarks/local_api.py                 # starts `python -m local serve` on free ports
    python benchmarks/local_api.py --url http://127.0.0.1:3000/   # measures a running `make dev`

Reports p50/p99 (ms) and req/s for GET /health and, when the order routes exist, GET /orders/{id}
(a bench user registers, logs in and places one order first). Target: warm p50 <= 20 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local.client import Client
from local.launch import DEFAULT_TEMPLATE as TEMPLATE
from local.launch import start_stack

ROOT = Path(__file__).resolve().parents[1]
TARGET_P50_MS = 20.0


def measure(
    base_url: str,
    path: str,
    headers: dict[str, str],
    requests: int,
    threads: int,
    *,
    method: str = "GET",
    body: Any = None,
    fresh_headers: Callable[[], dict[str, str]] = dict,
    concurrent_warmup: bool = True,
) -> dict[str, Any]:
    """Sequential latencies (p50/p99/max) and the request rate over `threads` connections of one
    request; `fresh_headers()` is added to every call (e.g. a new Idempotency-Key per POST)."""

    def call(client: Client) -> int:
        return client.call(method, path, body, {**headers, **fresh_headers()})[0]

    client = Client(base_url)
    if concurrent_warmup:
        # Also concurrent, so that every worker the pool scales out to has had its cold start.
        warmers = [
            threading.Thread(target=lambda: [call(Client(base_url)) for _ in range(10)])
            for _ in range(threads)
        ]
        for thread in warmers:
            thread.start()
        for thread in warmers:
            thread.join()
    for _ in range(20 if concurrent_warmup else 10):
        call(client)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    for _ in range(requests):
        started = time.perf_counter()
        try:
            status = call(client)
        except OSError:
            status, client = 599, Client(base_url)
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    latencies.sort()

    per_thread = max(1, requests // threads)
    done = [0]
    lock = threading.Lock()

    def worker() -> None:
        own = Client(base_url)
        for _ in range(per_thread):
            try:
                call(own)
            except OSError:
                own = Client(base_url)
                continue
            with lock:
                done[0] += 1

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "path": path,
        "requests": requests,
        "statuses": statuses,
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2),
        "max_ms": round(latencies[-1], 2),
        "req_per_s_sequential": round(requests / (sum(latencies) / 1000), 1),
        f"req_per_s_{threads}_connections": round(done[0] / elapsed, 1),
    }


def prepare_order(base_url: str) -> tuple[str, dict[str, str]] | str:
    """Registers a user, logs in and places an order; returns (path, headers) or why it could not."""
    client = Client(base_url)
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    password = "bench-password-123"  # noqa: S105 - a throwaway local user
    status, _ = client.call("POST", "/auth/register", {"email": email, "password": password, "name": "Bench"})
    if status != 201:
        return f"POST /auth/register answered {status}"
    status, tokens = client.call("POST", "/auth/login", {"email": email, "password": password})
    if status != 200:
        return f"POST /auth/login answered {status}"
    headers = {"Authorization": f"Bearer {tokens['accessToken']}"}
    deadline = time.monotonic() + 30  # the stack seeds its demo products in the background
    while True:
        status, products = client.call("GET", "/products?limit=1")
        if status != 200 or products.get("items") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if status != 200 or not products.get("items"):
        return f"no product to order (GET /products answered {status})"
    order = {
        "items": [{"productId": products["items"][0]["productId"], "quantity": 1}],
        "paymentMethodId": "pm_card_visa",
    }
    status, placed = client.call("POST", "/orders", order, {**headers, "Idempotency-Key": uuid.uuid4().hex})
    if status != 202:
        return f"POST /orders answered {status}"
    path = f"/orders/{placed['orderId']}"
    # Let the saga and the cold starts it causes finish: measure a quiet system.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status_now = client.call("GET", path, headers=headers)[1].get("status")
        if status_now in ("CONFIRMED", "REJECTED", "CANCELLED"):
            break
        time.sleep(0.2)
    time.sleep(3)  # the last events of the saga (notifications) are consumed after the order settles
    return path, headers


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a running local API (default: start one)")
    parser.add_argument("--template", default=str(TEMPLATE))
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--out", help="also write the JSON report here")
    args = parser.parse_args()
    requests = max(10, min(args.requests, 2000))

    stack = None if args.url else start_stack(Path(args.template))
    base = args.url or (stack.base_url if stack else "")
    try:
        report: dict[str, Any] = {"target_p50_ms": TARGET_P50_MS, "cpus": os.cpu_count()}
        prepared = prepare_order(base)  # first: it also waits for seeding and the saga to settle
        report["health"] = measure(base, "/health", {}, requests, args.threads)
        if isinstance(prepared, str):
            report["order"] = {"skipped": prepared}
        else:
            path, headers = prepared
            report["order"] = measure(base, path, headers, requests, args.threads)
    finally:
        if stack is not None:
            stack.stop()
    print(json.dumps(report, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    ok = report["health"]["p50_ms"] <= TARGET_P50_MS
    if "p50_ms" in report["order"]:
        ok = ok and report["order"]["p50_ms"] <= TARGET_P50_MS
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
