"""`make chaos`: orders through the local stack while AWS, Stripe and deliveries misbehave; then invariants.

    python -m tools.chaos [--orders 500] [--rate 0.05] [--seed 1] [--deadline S] [--json out.json]

The stack runs in this process (local/instrumented.py). Set-up (users, products) runs with
faults disarmed; then, with faults armed, client threads place `--orders` orders (a share with a
declined card, a share cancelled by their owner soon after, demand above stock for one product so
some are rejected). A share `--rate` of the functions' DynamoDB, SQS and EventBridge calls fail
transiently before they are sent, Stripe fails a share of requests (half of them after charging),
and a share of deliveries is duplicated and re-ordered. Clients retry 5xx/409 with the same
Idempotency-Key, as a real client would.

When every order is terminal and the system is quiet (or the deadline passes), faults are disarmed
and these invariants are checked and printed as a table; the exit status is 1 if any breaks:

- every order is accepted (`202`) once its client has retried, as a real client would;
- every order reaches CONFIRMED, REJECTED or CANCELLED within the deadline;
- each CONFIRMED order is charged exactly once, for its total, and not refunded;
- REJECTED and CANCELLED orders carry no net charge (charged amount - refunded amount = 0);
- stock is conserved per product: initial = remaining + quantity in CONFIRMED orders;
- every outbox entry in every service table was published (seen on the bus by a capture rule);
- every message in a dead-letter queue is explained: a consumer logged why it gave up on it, or
  the invocation that received it failed as a whole (e.g. a timeout).

A line on stderr every 30 s shows progress (orders placed, terminal, faults injected).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from local.instrumented import TEMPLATE, Faults, InstrumentedStack
from tools.chaos_checks import check
from tools.chaos_run import TERMINAL, Run


def chaos(
    orders: int = 500,
    rate: float = 0.05,
    seed: int = 1,
    deadline_s: float = 900,
    threads: int = 6,
    template: Path = TEMPLATE,
    in_flight: int = 40,
) -> dict[str, Any]:
    stack = InstrumentedStack(template, faults=Faults(rate=rate, seed=seed), seed=False)
    stack.start()
    try:
        run = Run(stack=stack, rng=random.Random(seed), in_flight_limit=in_flight, orders=orders)
        run.set_up(orders)
        stop_watching = threading.Event()
        watcher = threading.Thread(target=run.watch_events, args=(stop_watching,), daemon=True)
        watcher.start()
        started = time.monotonic()
        reporter = threading.Thread(target=run.report_progress, args=(stop_watching, started), daemon=True)
        reporter.start()
        stack.arm()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(run.place, range(orders)))
        placed_s = time.monotonic() - started
        ids = {p.order_id for p in run.placed}
        statuses: dict[str, dict[str, Any]] = {}
        while time.monotonic() - started < deadline_s:
            statuses = run.statuses()
            if all(statuses.get(o, {}).get("status") in TERMINAL for o in ids) and stack.quiet():
                break
            time.sleep(1)
        settled_s = time.monotonic() - started
        stack.arm(False)
        # Let anything already in flight finish (without faults) before counting.
        quiet_deadline = time.monotonic() + 60
        while time.monotonic() < quiet_deadline and not stack.quiet():
            pass
        stop_watching.set()
        watcher.join(timeout=10)
        captured = run.captured + stack.captured_events()
        statuses = run.statuses()
        invariants = check(run, statuses, captured)
        faults = Counter(f"{f['service']} {f['fault']}" for f in stack.injected_faults())
        report = {
            "orders": orders,
            "placed": len(run.placed),
            "rate": rate,
            "seed": seed,
            "placing_s": round(placed_s, 1),
            "settled_s": round(settled_s, 1),
            "deadline_s": deadline_s,
            "in_flight_limit": in_flight,
            "faults_injected": dict(faults),
            "stripe_faults": dict(stack.tally.stripe_faults),
            "duplicated_deliveries": sum(stack.tally.duplicated.values()),
            "invocations": sum(stack.tally.invocations.values()),
            "client_side": dict(run.client_errors),
            "invariants": invariants,
            "ok": all(i["ok"] for i in invariants),
        }
        return report
    finally:
        stack.stop()


def print_report(report: dict[str, Any]) -> None:
    print(
        f"\nChaos: {report['placed']}/{report['orders']} orders placed in {report['placing_s']} s, "
        f"settled after {report['settled_s']} s (deadline {report['deadline_s']} s, "
        f"at most {report['in_flight_limit']} orders in flight); "
        f"fault rate {report['rate']}, "
        f"seed {report['seed']}"
    )
    print(f"  AWS faults injected: {sum(report['faults_injected'].values())} {report['faults_injected']}")
    print(
        f"  Stripe faults: {report['stripe_faults']}; "
        f"duplicated/reordered deliveries: {report['duplicated_deliveries']}"
    )
    print(f"  invocations: {report['invocations']}; client side: {report['client_side']}")
    print(f"\n{'invariant':<46} {'result':<6}  detail")
    for row in report["invariants"]:
        print(f"{row['invariant']:<46} {'ok' if row['ok'] else 'BROKEN':<6}  {row['detail']}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--deadline",
        type=float,
        help="seconds for every order to become terminal (default: 300 + 3 per order; the local "
        "stand-in settles ~30 orders a minute on 2 shared cores)",
    )
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--in-flight", type=int, default=40, help="at most this many orders not yet terminal")
    parser.add_argument("--template", default=str(TEMPLATE))
    parser.add_argument("--json", help="also write the report here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    deadline = args.deadline if args.deadline is not None else 300 + 3 * args.orders
    report = chaos(
        args.orders, args.rate, args.seed, deadline, args.threads, Path(args.template), args.in_flight
    )
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
