"""Warm latency and throughput of the local API (loopback only, bounded request counts).

    python benchmarks/local_api.py                 # starts `python -m local serve` on free ports
    python benchmarks/local_api.py --url http://127.0.0.1:3000/   # measures a running `make dev`

Reports p50/p99 (ms) and req/s for GET /health and, when the order routes exist, GET /orders/{id}
(a bench user registers, logs in and places one order first). Target: warm p50 <= 20 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / ".local" / "cdk.out" / "Commerce-dev.template.json"
TARGET_P50_MS = 20.0


class Client:
    """One keep-alive connection to a loopback URL."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("only loopback URLs are benchmarked")
        self.host, self.port = parts.hostname, parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=35)

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        self.conn.request(method, self.prefix + path, body=data, headers=all_headers)
        response = self.conn.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, raw


def measure(base_url: str, path: str, headers: dict[str, str], requests: int, threads: int) -> dict[str, Any]:
    client = Client(base_url)
    # Warm-up, also concurrent so that every worker the pool scales out to has had its cold start.
    warmers = [
        threading.Thread(
            target=lambda: [Client(base_url).call("GET", path, headers=headers) for _ in range(10)]
        )
        for _ in range(threads)
    ]
    for thread in warmers:
        thread.start()
    for thread in warmers:
        thread.join()
    for _ in range(20):
        client.call("GET", path, headers=headers)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    for _ in range(requests):
        started = time.perf_counter()
        status, _ = client.call("GET", path, headers=headers)
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    latencies.sort()

    per_thread = max(1, requests // threads)
    done = [0]
    lock = threading.Lock()

    def worker() -> None:
        own = Client(base_url)
        for _ in range(per_thread):
            own.call("GET", path, headers=headers)
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_stack(template: Path) -> tuple[subprocess.Popen[bytes], str]:
    state = Path(tempfile.mkdtemp(prefix="bench-local-"))
    port = _free_port()
    command = [
        sys.executable, "-m", "local", "serve", "--template", str(template), "--port", str(port),
        "--aws-port", str(_free_port()), "--stripe-port", str(_free_port()), "--state-dir", str(state),
    ]  # fmt: skip
    log = (state / "serve.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the local stack exited; see {state / 'serve.log'}")
        try:
            if Client(base).call("GET", "/health")[0] == 200:
                return process, base
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the local stack did not answer GET /health within 90 s")


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

    process = None
    base = args.url
    if not base:
        process, base = start_stack(Path(args.template))
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
        if process is not None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)
    print(json.dumps(report, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    ok = report["health"]["p50_ms"] <= TARGET_P50_MS
    if "p50_ms" in report["order"]:
        ok = ok and report["order"]["p50_ms"] <= TARGET_P50_MS
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
