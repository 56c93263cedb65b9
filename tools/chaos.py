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
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.client import Client
from local.instrumented import TEMPLATE, Faults, InstrumentedStack

ROOT = Path(__file__).resolve().parents[1]

TERMINAL = {"CONFIRMED", "REJECTED", "CANCELLED"}
DECLINED_CARD = "pm_card_chargeDeclined"
GOOD_CARD = "pm_card_visa"
USERS = 10
PASSWORD = "chaos-password-123"  # noqa: S105 - throwaway local users

log = logging.getLogger("chaos")


@dataclass
class Placed:
    order_id: str
    user: int
    lines: list[tuple[str, int]]
    card: str
    cancel: bool


@dataclass
class Run:
    stack: InstrumentedStack
    rng: random.Random
    tokens: dict[int, str] = field(default_factory=dict)
    emails: dict[int, str] = field(default_factory=dict)
    products: list[str] = field(default_factory=list)
    initial_stock: dict[str, int] = field(default_factory=dict)
    placed: list[Placed] = field(default_factory=list)
    client_errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    captured: list[dict[str, Any]] = field(default_factory=list)
    finished: set[str] = field(default_factory=set)
    in_flight_limit: int = 40
    orders: int = 0
    progress: threading.Condition = field(default_factory=threading.Condition)

    def watch_events(self, stop: threading.Event) -> None:
        """Drains the capture queue; an OrderConfirmed/Rejected/Cancelled event frees a load slot."""
        while not stop.is_set():
            fresh = self.stack.captured_events()
            with self.progress:
                self.captured += fresh
                for event in fresh:
                    if event.get("detail-type") in ("OrderConfirmed", "OrderRejected", "OrderCancelled"):
                        order_id = ((event.get("detail") or {}).get("data") or {}).get("orderId")
                        if order_id:
                            self.finished.add(order_id)
                self.progress.notify_all()
            stop.wait(0.5)

    def wait_for_a_slot(self, timeout_s: float = 120) -> None:
        """Bounded load: a chaos run is about faults, not about saturating the stand-in."""
        deadline = time.monotonic() + timeout_s
        with self.progress:
            while time.monotonic() < deadline:
                in_flight = sum(1 for p in self.placed if p.order_id not in self.finished)
                if in_flight < self.in_flight_limit:
                    return
                self.progress.wait(1)

    # -- HTTP with client-side retries ------------------------------------------------------------
    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, user: int = -1
    ) -> tuple[int, Any]:
        client = Client(self.stack.api_url)
        status, answer = 0, None
        logged_in_again = False
        for attempt in range(8):
            all_headers = dict(headers or {})
            if user >= 0:
                all_headers["Authorization"] = f"Bearer {self.tokens[user]}"
            try:
                status, answer = client.call(method, path, body, all_headers)
            except OSError as exc:
                status, answer = 599, str(exc)
                client = Client(self.stack.api_url)
            if status == 401 and user >= 0 and not logged_in_again:
                # The access token expired (they live 15 minutes; a full run is longer).
                logged_in_again = True
                self.login(user)
                continue
            if status >= 500 or (status in (409, 429) and method == "POST" and path == "/orders"):
                with self.lock:
                    self.client_errors[f"{method} {path.split('/')[1]} -> {status} (retried)"] += 1
                time.sleep(0.05 * (attempt + 1))
                continue
            return status, answer
        return status, answer

    def login(self, user: int) -> None:
        """Access tokens live 15 minutes, a long run logs in again; faults may fail a login (retried)."""
        status: int = 0
        tokens: Any = None
        for attempt in range(8):
            try:
                status, tokens = Client(self.stack.api_url).call(
                    "POST", "/auth/login", {"email": self.emails[user], "password": PASSWORD}
                )
            except OSError as exc:
                status, tokens = 599, str(exc)
            if status == 200:
                self.tokens[user] = tokens["accessToken"]
                return
            with self.lock:
                self.client_errors[f"POST auth/login -> {status} (retried)"] += 1
            time.sleep(0.2 * (attempt + 1))
        raise RuntimeError(f"login failed: {status} {tokens}")

    # -- set-up (faults disarmed) -------------------------------------------------------------------
    def set_up(self, orders: int) -> None:
        from local.seed import admin_credentials, create_admin

        if not create_admin(self.stack.seed_target(), ROOT):
            raise RuntimeError("could not create the admin user (tools/create_admin.py)")
        email, password = admin_credentials()
        status, login = Client(self.stack.api_url).call(
            "POST", "/auth/login", {"email": email, "password": password}
        )
        if status != 200:
            raise RuntimeError(f"admin login failed: {status} {login}")
        admin = {"Authorization": f"Bearer {login['accessToken']}"}
        # Expected demand per product is ~orders * 0.8 units; the last product is scarce, so some
        # orders are rejected for stock, the others have plenty.
        stocks = [orders * 5, orders * 5, orders * 5, max(3, orders // 10)]
        for index, stock in enumerate(stocks):
            product = {
                "name": f"Chaos product {index} {uuid.uuid4().hex[:6]}",
                "description": "chaos",
                "price": {"amount": 100 * (index + 1) + 99, "currency": "EUR"},
                "stock": stock,
            }
            status, created = Client(self.stack.api_url).call("POST", "/products", product, admin)
            if status != 201:
                raise RuntimeError(f"POST /products failed: {status} {created}")
            self.products.append(created["productId"])
            self.initial_stock[created["productId"]] = stock
        for user in range(USERS):
            self.emails[user] = f"chaos-{uuid.uuid4().hex[:10]}@example.com"
            status, body = Client(self.stack.api_url).call(
                "POST", "/auth/register", {"email": self.emails[user], "password": PASSWORD, "name": "Chaos"}
            )
            if status != 201:
                raise RuntimeError(f"register failed: {status} {body}")
            self.login(user)

    # -- load (faults armed) ------------------------------------------------------------------------
    def place(self, number: int) -> None:
        self.wait_for_a_slot()
        rng = random.Random(self.rng.random() + number)
        user = number % USERS
        count = rng.choice((1, 1, 2, 3))
        lines = [(p, rng.randint(1, 3)) for p in rng.sample(self.products, count)]
        card = DECLINED_CARD if rng.random() < 0.1 else GOOD_CARD
        cancel = rng.random() < 0.05
        body = {"items": [{"productId": p, "quantity": q} for p, q in lines], "paymentMethodId": card}
        try:
            status, order = self.call(
                "POST", "/orders", body, {"Idempotency-Key": uuid.uuid4().hex}, user=user
            )
        except RuntimeError as exc:  # the client could not log in again: this order is never placed
            with self.lock:
                self.client_errors[f"POST /orders not sent: {exc}"[:120]] += 1
            return
        if status != 202:
            with self.lock:
                self.client_errors[f"POST /orders -> {status} (gave up)"] += 1
            return
        placed = Placed(order["orderId"], user, lines, card, cancel)
        with self.lock:
            self.placed.append(placed)
        if cancel:
            time.sleep(rng.uniform(0, 0.5))
            status, _ = self.call("POST", f"/orders/{placed.order_id}/cancel", {}, user=user)
            with self.lock:
                self.client_errors[f"POST /orders/{{id}}/cancel -> {status}"] += 1

    def report_progress(self, stop: threading.Event, started: float, every_s: float = 30) -> None:
        """One line on stderr every `every_s` seconds, so a long run shows it is moving."""
        while not stop.wait(every_s):
            with self.progress:
                placed, done = len(self.placed), len(self.finished)
            print(
                f"[chaos] {time.monotonic() - started:5.0f} s: {placed} placed, {done} terminal, "
                f"{len(self.stack.injected_faults())} AWS faults injected",
                file=sys.stderr,
                flush=True,
            )

    # -- inspection (harness clients are never faulted) ---------------------------------------------
    def scan(self, table: str) -> list[dict[str, Any]]:
        from boto3.dynamodb.types import TypeDeserializer

        deserialize = TypeDeserializer().deserialize
        pages = self.stack.clients()("dynamodb").get_paginator("scan").paginate(TableName=table)
        return [{k: deserialize(v) for k, v in item.items()} for page in pages for item in page["Items"]]

    def table(self, part: str) -> str:
        names = [name for lid, name in self.stack.table_names().items() if lid.lower().startswith(part)]
        if not names:
            raise RuntimeError(f"no {part} table in the template")
        return names[0]

    def statuses(self) -> dict[str, dict[str, Any]]:
        return {
            item["orderId"]: item
            for item in self.scan(self.table("orders"))
            if str(item.get("pk", "")).startswith("ORDER#") and item.get("sk") == "ORDER"
        }


def _money(value: Any) -> int:
    return int(value["amount"]) if isinstance(value, dict) else int(value)


def logged_reasons(folder: Path) -> dict[str, str]:
    """Why a message failed, by SQS message id and by event id, from the functions' ERROR/WARNING lines."""
    reasons: dict[str, str] = {}
    for path in folder.glob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            serious = '"level":"ERROR"' in line or '"level":"WARNING"' in line
            if not line.startswith("{") or not serious:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            reason = str(record.get("reason") or record.get("message") or "")
            for key in ("message_id", "event_id", "messageId", "eventId"):
                if record.get(key):
                    reasons.setdefault(str(record[key]), reason)
    return reasons


def check(
    run: Run, orders: dict[str, dict[str, Any]], captured: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    placed = {p.order_id: p for p in run.placed}
    results: list[dict[str, Any]] = []

    def result(name: str, ok: bool, detail: str) -> None:
        results.append({"invariant": name, "ok": ok, "detail": detail})

    result(
        "every order accepted by the API (client retries)",
        len(placed) == run.orders,
        f"{len(placed)}/{run.orders} placed"
        + ("" if len(placed) == run.orders else f"; client side: {dict(run.client_errors)}"),
    )
    states = Counter(orders[o]["status"] if o in orders else "MISSING" for o in placed)
    stuck = [o for o in placed if o not in orders or orders[o]["status"] not in TERMINAL]
    result(
        "every order reaches a terminal state",
        not stuck and len(placed) > 0,
        f"{dict(states)}" + (f"; not terminal: {stuck[:5]}" if stuck else ""),
    )

    snapshot = run.stack.stripe_snapshot()
    charged: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for intent in snapshot.get("paymentIntents", []):
        order_id = (intent.get("metadata") or {}).get("orderId")
        if intent.get("status") == "succeeded" and order_id:
            charged[order_id].append(intent)
    refunded: dict[str, int] = defaultdict(int)
    intent_order = {
        i["id"]: (i.get("metadata") or {}).get("orderId") for i in snapshot.get("paymentIntents", [])
    }
    for refund in snapshot.get("refunds", []):
        order_id = (refund.get("metadata") or {}).get("orderId") or intent_order.get(
            refund.get("payment_intent")
        )
        if order_id and refund.get("status", "succeeded") == "succeeded":
            refunded[order_id] += int(refund.get("amount", 0))

    bad_confirmed = []
    for order_id in placed:
        order = orders.get(order_id)
        if not order or order["status"] != "CONFIRMED":
            continue
        intents = charged.get(order_id, [])
        total = _money(order["total"])
        if len(intents) != 1 or int(intents[0]["amount"]) != total or refunded.get(order_id):
            bad_confirmed.append((order_id, len(intents), refunded.get(order_id, 0)))
    confirmed = states.get("CONFIRMED", 0)
    result(
        "each confirmed order charged exactly once",
        not bad_confirmed,
        f"{confirmed} confirmed; {len(bad_confirmed)} wrong"
        + (f": {bad_confirmed[:5]}" if bad_confirmed else ""),
    )

    net_charged = []
    for order_id in placed:
        order = orders.get(order_id)
        if not order or order["status"] not in ("REJECTED", "CANCELLED"):
            continue
        net = sum(int(i["amount"]) for i in charged.get(order_id, [])) - refunded.get(order_id, 0)
        if net != 0:
            net_charged.append((order_id, order["status"], net))
    refunds = sum(1 for o in placed if refunded.get(o))
    result(
        "no net charge for rejected/cancelled orders",
        not net_charged,
        f"{states.get('REJECTED', 0)} rejected, {states.get('CANCELLED', 0)} cancelled, {refunds} refunded"
        + (f"; net charged: {net_charged[:5]}" if net_charged else ""),
    )

    products = {
        item["productId"]: item
        for item in run.scan(run.table("catalog"))
        if str(item.get("pk", "")).startswith("PRODUCT#") and item.get("sk") == "PRODUCT"
    }
    sold: Counter[str] = Counter()
    for order_id, p in placed.items():
        if orders.get(order_id, {}).get("status") == "CONFIRMED":
            for product_id, quantity in p.lines:
                sold[product_id] += quantity
    broken = []
    for product_id, initial in run.initial_stock.items():
        remaining = int(products[product_id]["stock"])
        if initial != remaining + sold[product_id]:
            broken.append((product_id[:8], initial, remaining, sold[product_id]))
    result(
        "stock conserved (initial = remaining + sold)",
        not broken,
        "; ".join(
            f"{pid[:8]}: {run.initial_stock[pid]} = {int(products[pid]['stock'])} + {sold[pid]}"
            for pid in run.initial_stock
        )
        + (f"; BROKEN {broken}" if broken else ""),
    )

    published = {((e.get("detail") or {}).get("metadata") or {}).get("eventId") for e in captured}
    outbox: list[tuple[str, str]] = []
    for lid, table in run.stack.table_names().items():
        for item in run.scan(table):
            if str(item.get("pk", "")).startswith("OUTBOX#"):
                outbox.append((lid, str(item["pk"]).removeprefix("OUTBOX#")))
    missing = [(lid, eid) for lid, eid in outbox if eid not in published]
    result(
        "every outbox entry published",
        not missing,
        f"{len(outbox)} outbox entries, {len(published)} distinct events captured"
        + (f"; unpublished: {missing[:5]}" if missing else ""),
    )

    sqs = run.stack.clients()("sqs")
    dead: list[tuple[str, dict[str, Any], str]] = []
    for lid, url in run.stack.queue_urls().items():
        if "dlq" not in lid.lower() and "deadletter" not in lid.lower():
            continue
        while True:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300).get(
                "Messages", []
            )
            if not messages:
                break
            for message in messages:
                try:
                    body = json.loads(message["Body"])
                except ValueError:
                    body = {"raw": message["Body"][:200]}
                dead.append((lid, body if isinstance(body, dict) else {"raw": body}, message["MessageId"]))
    reasons = logged_reasons(run.stack.workdir / "logs")
    with run.stack.tally.lock:
        for key, why in run.stack.tally.failed_deliveries.items():
            reasons.setdefault(key, why)
    unexplained = []
    explained: Counter[str] = Counter()
    for lid, body, message_id in dead:
        event_id = ((body.get("detail") or {}).get("metadata") or {}).get("eventId")
        reason = reasons.get(message_id) or reasons.get(event_id or "")
        if reason:
            explained[f"{lid} {body.get('detail-type')}: {reason}"] += 1
        else:
            unexplained.append((lid, body.get("detail-type"), event_id))
    result(
        "every DLQ message explained",
        not unexplained,
        f"{len(dead)} dead letters"
        + (f"; explained (consumer log or failed invocation): {dict(explained)}" if explained else "")
        + (f"; UNEXPLAINED: {unexplained[:5]}" if unexplained else ""),
    )
    return results


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
