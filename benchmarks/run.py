"""`make bench`: every benchmark, one table each, benchmarks/results.json, non-zero exit on a broken budget.

    python -m benchmarks.run [--rounds 15] [--only orders,catalog] [--requests 200] [--sizes 1000,100000]
                             [--skip size,coldstart,calls,api,flat]
    make bench [BENCH_ARGS="--rounds 5 --only health,authorizer"]

`--rounds` and `--only` make a quicker, partial run on a busy machine (the defaults, 15 rounds of
every function, are what docs/performance.md reports); a partial run still checks every budget it
measured and exits non-zero when one breaks.

1. cold start of every function paired with the floor of its kind, and the primed (SnapStart) first
   invocation of every request-path function (benchmarks/coldstart.py), budgets <= 1.15x and <= 1.5x;
   package size per function before and after the dependency-layer split (benchmarks/package_size.py);
2. AWS calls and DynamoDB capacity per API operation and per saga step, saga latency
   (benchmarks/calls.py);
3. local API p50/p99 and req/s for GET /health, GET /products, GET /orders/{id}, POST /orders
   against `python -m local serve` on free loopback ports (local/launch.py);
4. GET /orders with 1,000 vs 100,000 orders in the table (benchmarks/flat_list.py), must stay flat;
5. the estimated AWS cost per 1 million orders, from 2. and the template's memory sizes, with
   SnapStart's caching and restore charges for the request path (assumptions printed).
6. what the authorizer's revocation check costs per request, and the designs weighed against it
   (benchmarks/revocation.py).

Benchmarks are never part of `make test`: their numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.local_api import measure
from local.client import Client
from local.launch import DEFAULT_TEMPLATE as TEMPLATE
from local.launch import start_stack

ROOT = Path(__file__).resolve().parents[1]

RESULTS = ROOT / "benchmarks" / "results.json"
API_P50_BUDGET_MS = 20.0  # warm GET p50 on the local stack (the local-stack engineer's target)

# Prices (us-east-1, on-demand): Lambda arm64, DynamoDB on-demand, SQS standard, EventBridge custom
# events, API Gateway REST.
PRICES = {
    "lambda_gb_s": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "dynamodb_wru": 1.25 / 1e6,
    "dynamodb_rru": 0.25 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "eventbridge_event": 1.00 / 1e6,
    "apigw_request": 3.50 / 1e6,
}
# SnapStart for Python (us-east-1 list prices, the same for x86 and Arm): caching per GB-second of
# every SnapStart version's memory for as long as it exists (at least 3 hours per version), restoring
# per GB each time an environment resumes from the snapshot.
# https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html#snapstart-pricing
SNAPSTART_PRICES = {"cache_gb_s": 0.0000015046, "restore_gb": 0.0001397998}
SNAPSTART_ASSUMPTIONS = {
    "orders_per_month": 1_000_000,  # the caching charge is per month; spread over this many orders
    "seconds_per_month": 30 * 24 * 3600,
    "deploys_per_month": 30,  # each publishes a new version of every changed function: >= 3 h cached
    "cold_start_share": 0.01,  # of request-path invocations that start a new environment (a restore)
    "request_path_invocations_per_order": 4,  # POST + GET /orders, the authorizer twice (uncached)
}
SQS_REQUESTS_PER_DELIVERY = 3  # EventBridge's SendMessage, the poller's ReceiveMessage, DeleteMessage
API_REQUESTS_PER_ORDER = 2  # POST /orders and one GET /orders/{id}
LAMBDA_BILLING_MIN_MS = 1


def _module(name: str, *args: str) -> dict[str, Any]:
    """Runs `python -m benchmarks.<name>` in its own process (clean imports, own moto); its JSON."""
    out = ROOT / ".local" / f"bench-{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{name}", *args, "--out", str(out)], cwd=ROOT, check=False
    )
    if not out.exists():
        raise SystemExit(f"benchmarks.{name} failed (exit {done.returncode})")
    report = dict(json.loads(out.read_text()))
    report["exit"] = done.returncode
    return report


def api_latency(template: Path, requests: int, threads: int) -> dict[str, Any]:
    stack = start_stack(template)
    base = stack.base_url
    try:
        client = Client(base)
        email, password = f"bench-{uuid.uuid4().hex[:8]}@example.com", "bench-password-123"
        client.call("POST", "/auth/register", {"email": email, "password": password, "name": "Bench"})
        _, tokens = client.call("POST", "/auth/login", {"email": email, "password": password})
        auth = {"Authorization": f"Bearer {tokens['accessToken']}"}
        deadline = time.monotonic() + 60
        products: Any = {}
        while time.monotonic() < deadline:  # the stack seeds demo products in the background
            status, products = client.call("GET", "/products?limit=20")
            if status == 200 and products.get("items"):
                break
            time.sleep(0.2)
        product = products["items"][0]["productId"]
        body = {"items": [{"productId": product, "quantity": 1}], "paymentMethodId": "pm_card_visa"}
        _, order = client.call("POST", "/orders", body, {**auth, "Idempotency-Key": uuid.uuid4().hex})
        rows = [
            measure(base, "/health", {}, requests, threads),
            measure(base, "/products?limit=20", {}, requests, threads),
            measure(base, f"/orders/{order['orderId']}", auth, requests, threads),
            # POST /orders writes: fewer requests, since moto's TransactWriteItems copies the whole
            # table on every call (its cost grows with the table, unlike DynamoDB's).
            measure(
                base,
                "/orders",
                auth,
                max(10, requests // 4),
                min(threads, 2),
                method="POST",
                body=body,
                fresh_headers=lambda: {"Idempotency-Key": uuid.uuid4().hex},
                concurrent_warmup=False,
            ),
        ]
        for row, name in zip(
            rows, ("GET /health", "GET /products", "GET /orders/{id}", "POST /orders"), strict=True
        ):
            row["route"] = name
        return {"requests": requests, "threads": threads, "routes": rows, "p50_budget_ms": API_P50_BUDGET_MS}
    finally:
        stack.stop()


def cost(calls: dict[str, Any]) -> dict[str, Any]:
    """Per 1 million orders, from the measured saga and one POST + one GET per order."""
    memory = calls["memory_mb"]
    invocations = dict(calls["saga_invocations_per_order"])
    durations = dict(calls["saga_duration_ms_per_order"])
    api_rows = {r["function"]: r for r in calls["rows"] if r["scope"].startswith("api")}
    saga_rows = [r for r in calls["rows"] if r["scope"].startswith("saga")]
    get_order = next((f for f in api_rows if f.startswith("OrdersGetOrder")), None)
    if get_order:
        invocations[get_order] = invocations.get(get_order, 0) + 1
        durations[get_order] = durations.get(get_order, 0) + 10.0  # a warm GetItem-sized request
    authorizer = next((r for r in calls["rows"] if r["scope"].startswith("authorizer")), None)
    if authorizer:  # its result cache is off: each protected request invokes it (decision 23)
        name = authorizer["function"]
        invocations[name] = invocations.get(name, 0) + API_REQUESTS_PER_ORDER
        durations[name] = durations.get(name, 0) + 10.0 * API_REQUESTS_PER_ORDER
    gb_s = sum(
        max(LAMBDA_BILLING_MIN_MS, durations.get(f, 0)) / 1000 * memory.get(f, 128) / 1024
        for f in invocations
    )
    lambda_requests = sum(invocations.values())
    rru = sum(r["rcu"] for r in saga_rows) + (api_rows[get_order]["rcu"] if get_order else 0)
    rru += authorizer["rcu"] * API_REQUESTS_PER_ORDER if authorizer else 0
    wru = sum(r["wcu"] for r in saga_rows)
    put_events = sum(v for r in saga_rows for k, v in r["aws_calls"].items() if k == "events:PutEvents")
    deliveries = sum(
        r["invocations"] for r in saga_rows if "Consumer" in r["function"] or "Advance" in r["function"]
    )
    per_order = {
        "lambda_compute": gb_s * PRICES["lambda_gb_s"],
        "lambda_requests": lambda_requests * PRICES["lambda_request"],
        "dynamodb_writes": wru * PRICES["dynamodb_wru"],
        "dynamodb_reads": rru * PRICES["dynamodb_rru"],
        "eventbridge": put_events * PRICES["eventbridge_event"],
        "sqs": deliveries * SQS_REQUESTS_PER_DELIVERY * PRICES["sqs_request"],
        "api_gateway": API_REQUESTS_PER_ORDER * PRICES["apigw_request"],
    }
    per_million = {k: round(v * 1e6, 2) for k, v in per_order.items()}
    return {
        "assumptions": {
            "api_requests_per_order": API_REQUESTS_PER_ORDER,
            "lambda_invocations_per_order": round(lambda_requests, 2),
            "lambda_gb_s_per_order": round(gb_s, 5),
            "durations": "warm local durations measured in 2. (moto in place of AWS; real calls differ)",
            "memory": "MemorySize of each function in the template",
            "dynamodb_wru_per_order": round(wru, 2),
            "dynamodb_rru_per_order": round(rru, 2),
            "eventbridge_events_per_order": round(put_events, 2),
            "sqs_requests_per_order": round(deliveries * SQS_REQUESTS_PER_DELIVERY, 2),
            "not_included": "CloudWatch logs/metrics, X-Ray, KMS, Secrets Manager, SES, data transfer, "
            "free tiers, Stripe fees",
            "prices": PRICES,
        },
        "usd_per_million_orders": per_million,
        "total_usd_per_million_orders": round(sum(per_million.values()), 2),
    }


def snapstart_cost(template: Path, coldstart: dict[str, Any] | None) -> dict[str, Any]:
    """What SnapStart adds (caching, restores) and saves (the init Lambda no longer runs per cold
    start, billed since 2025 like any other duration) per 1M orders, for the request path."""
    from benchmarks.coldstart import request_path

    resources = json.loads(template.read_text())["Resources"]
    on_path = request_path(template)
    memory_gb = {lid: resources[lid]["Properties"].get("MemorySize", 128) / 1024 for lid in on_path}
    a = SNAPSTART_ASSUMPTIONS
    orders = a["orders_per_month"]
    cached_gb_s = sum(memory_gb.values()) * (
        a["seconds_per_month"] + a["deploys_per_month"] * 3 * 3600  # the old version's minimum
    )
    caching = cached_gb_s * SNAPSTART_PRICES["cache_gb_s"] / orders
    mean_gb = sum(memory_gb.values()) / len(memory_gb)
    restores_per_order = a["request_path_invocations_per_order"] * a["cold_start_share"]
    restoring = restores_per_order * mean_gb * SNAPSTART_PRICES["restore_gb"]
    init_ms = []
    restore_hook_ms = []
    for row in (coldstart or {}).get("functions", []):
        if row.get("kind") in ("http", "authorizer") and "import_ms" in row and row.get("primed"):
            init_ms.append(row["import_ms"])
            restore_hook_ms.append(row["primed"]["restore_ms"])
    mean_init_s = (sum(init_ms) / len(init_ms) / 1000) if init_ms else 0.0
    mean_hooks_s = (sum(restore_hook_ms) / len(restore_hook_ms) / 1000) if restore_hook_ms else 0.0
    saved = restores_per_order * mean_gb * (mean_init_s - mean_hooks_s) * PRICES["lambda_gb_s"]
    per_million = {
        "snapstart_caching": round(caching * 1e6, 2),
        "snapstart_restores": round(restoring * 1e6, 2),
        "snapstart_init_not_billed": round(-saved * 1e6, 2),
    }
    return {
        "usd_per_million_orders": per_million,
        "assumptions": {
            **a,
            "functions_on_snapstart": len(memory_gb),
            "their_memory_gb": round(sum(memory_gb.values()), 3),
            "init_s_saved_per_cold_start": round(mean_init_s, 3),
            "init_measured": "median import of the request-path functions here (moto, this machine)",
            "prices": SNAPSTART_PRICES,
        },
    }


def print_api(report: dict[str, Any]) -> None:
    print(f"\nLocal API (warm, {report['requests']} sequential requests + {report['threads']} connections)")
    print(f"{'route':<20} {'p50 ms':>8} {'p99 ms':>8} {'req/s seq':>10} {'req/s par':>10}  statuses")
    for row in report["routes"]:
        parallel = next(v for k, v in row.items() if k.endswith("_connections"))
        print(
            f"{row['route']:<20} {row['p50_ms']:>8} {row['p99_ms']:>8} {row['req_per_s_sequential']:>10} "
            f"{parallel:>10}  {row['statuses']}"
        )


def print_cost(report: dict[str, Any]) -> None:
    print("\nEstimated AWS cost per 1 million orders (USD)")
    for key, value in report["usd_per_million_orders"].items():
        print(f"  {key:<18} {value:>10.2f}")
    print(f"  {'total':<18} {report['total_usd_per_million_orders']:>10.2f}")
    print("  assumptions:")
    for key, value in report["assumptions"].items():
        if key != "prices":
            print(f"    {key}: {value}")
    print(f"    prices: {report['assumptions']['prices']}")
    snap = report.get("snapstart")
    if snap:
        print("  SnapStart on the request path (included above):")
        for key, value in snap["assumptions"].items():
            print(f"    {key}: {value}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=15, help="cold-start rounds (floor, function, floor)")
    parser.add_argument(
        "--only", help="cold start: only functions whose logical id or handler contains this (or a,b,...)"
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--orders", type=int, default=5)
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--template", default=str(TEMPLATE))
    parser.add_argument("--skip", default="", help="any of: size,coldstart,calls,api,flat,revocation")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    budgets: dict[str, bool] = {}
    # Each module prints its own table from its own process.
    if "size" not in skip:
        results["package_size"] = _module("package_size", "--template", args.template)
    if "coldstart" not in skip:
        only = ["--only", args.only] if args.only else []
        results["coldstart"] = _module(
            "coldstart", "--rounds", str(args.rounds), "--template", args.template, *only
        )
        rows = [r for r in results["coldstart"]["functions"] if r["kind"] != "floor"]
        for kind, label in (("http", "HTTP floor"), ("consumer", "consumer floor"), ("authorizer", "floor")):
            of_kind = [r for r in rows if r["kind"] == kind]
            if not of_kind:
                continue
            budgets[f"{kind} cold start <= 1.15x {label} (median ratio), {len(of_kind)} functions"] = all(
                not r["errors"] and r.get("ratio", 99) <= 1.15 for r in of_kind
            )
        primed = [r for r in rows if r["kind"] in ("http", "authorizer")]
        kdf = [r for r in rows if r.get("kdf_ms")]
        if kdf:
            print(
                "\nPassword KDF (scrypt) per call, not in any ratio: "
                + ", ".join(f"{r['handler'].rsplit('.', 2)[-2]} {r['kdf_ms']:.0f} ms" for r in kdf)
            )
        cs = results["coldstart"]
        if primed:
            budgets[
                f"primed first invocation <= {cs['primed_budget_ratio']}x warm or <= warm + "
                f"{cs['primed_allowance_ms']} ms, {len(primed)} SnapStart functions"
            ] = all(r.get("primed", {}).get("within_budget", False) for r in primed)
    if "calls" not in skip:
        results["calls"] = _module("calls", "--orders", str(args.orders))
        results["cost"] = cost(results["calls"])
        snap = snapstart_cost(Path(args.template), results.get("coldstart"))
        results["cost"]["snapstart"] = snap
        results["cost"]["usd_per_million_orders"].update(snap["usd_per_million_orders"])
        results["cost"]["total_usd_per_million_orders"] = round(
            sum(results["cost"]["usd_per_million_orders"].values()), 2
        )
        print_cost(results["cost"])
    if "api" not in skip:
        results["api"] = api_latency(Path(args.template), args.requests, args.threads)
        print_api(results["api"])
        budgets[f"warm GET p50 <= {API_P50_BUDGET_MS} ms"] = all(
            r["p50_ms"] <= API_P50_BUDGET_MS for r in results["api"]["routes"] if r["route"].startswith("GET")
        )
    if "flat" not in skip:
        results["flat_list"] = _module("flat_list", "--sizes", args.sizes)
        budgets["GET /orders flat from 1k to 100k orders"] = bool(results["flat_list"]["flat"])
    if "revocation" not in skip:
        results["revocation"] = _module("revocation")
    results["budgets"] = budgets
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print("\nBudgets")
    for name, ok in budgets.items():
        print(f"  {'ok' if ok else 'BROKEN':<7} {name}")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0 if all(budgets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
