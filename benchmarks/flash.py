"""`make flash`: a flash sale of one product on the scale model; a table, non-zero exit on a broken budget.

    python -m benchmarks.flash [--scale 0.0001] [--stripe-scale 0.02] [--orders 40] [--units 16] [--shards 8]
                               [--rounds 3] [--json .local/flash.json]

The real code runs on the local stack (in this process, local/instrumented.py) while the stand-in
enforces AWS's and Stripe's rate limits scaled (local/limits.py): DynamoDB's 1,000 write units a
second per partition become `1,000 x scale`, its 3,000 read units `3,000 x scale`, PutEvents'
10,000 requests `10,000 x scale`; and the sale is offered at `5,000 x scale` orders a second, so the
ratios of the hot product's stage (sharded vs unsharded, offered vs sustained) are the real sale's.
Stripe's limits run at their own factor, `--stripe-scale`: Stripe takes 25 requests a second per
endpoint, 200 times fewer than the sale's orders, and at this machine's `--scale` it would charge
one order every 400 s (at 0.003, one every 13 s: a deferred charge's backoff, which doubles, then
outlasts a phase). The charging functions keep their real pace (2 a second each) and meet the
stub's 429s, which they back off from and defer (never dead-letter). Per-environment cache ages
are dilated by 1 / scale (local/limits.py: an environment's periodic re-reads of a hot item scale
with the partition's quota); latencies (timeouts, backoffs, deferral delays) are not.

Each round runs three phases, each on a fresh stack (fresh tables: moto's own costs grow with a
table, DynamoDB's do not), in an order that rotates from round to round:

- unsharded: the product's stock in its one item, automatic sharding off (AUTO_SHARDS_MAX=1);
- sharded: the admin set `stockShards` to `--shards` before the sale (PATCH /products/{id});
- limits off: the sharded sale with every limit off, offered `--control-factor` times faster: what
  the stand-in itself sustains, which must stay well above the offered rate (else the stand-in, not
  the modelled limits, would be what the figures measure).

`--orders` orders of one unit each for `--units` units, open loop (order i is sent at i / rate, one
client thread per request in flight). A client retries `429` and `5xx` on `POST /orders` with
backoff and the same Idempotency-Key, as a real client would. Measured per phase: offered rate;
sold rate (units / time from the first order sent to the last unit reserved: the rate a hot
product's stock sells at) and decided rate (orders whose reservation was decided, reserved or
refused, per second until the last decision); throttles by service and reason; p50/p99 time from
sending an order to its terminal state (all orders, and the confirmed ones, whose time is mostly
Stripe's); time to sell out; Stripe's charge rate and 429s.

Invariants (every phase): every order accepted and terminal (the unsharded baseline's tail is
reported, not counted: see `invariants`); confirmed orders = units = charges
(one succeeded PaymentIntent per confirmed order, none twice); oversell 0 (units sold + units left =
units offered, read through GET /products/{id}, the true total); nothing dead-lettered; charges
within Stripe's scaled rate. Budgets (medians over rounds): sharded / unsharded sold rate >= 5;
limits off decides >= 2x the offered rate.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.client import Client
from local.instrumented import TEMPLATE, InstrumentedStack
from local.limits import RECORDER, STRIPE_ENDPOINT_REQUESTS_PER_SECOND, Limits
from local.limits import install as install_limits
from local.limits import uninstall as uninstall_limits

ROOT = Path(__file__).resolve().parents[1]

FULL_SCALE_ORDERS_PER_SECOND = 5_000  # the sale the model stands for (issue 23)
RATIO_BUDGET = 5.0
CONTROL_BUDGET = 2.0
WORKERS_PER_FUNCTION = 12
MAX_USERS = 100  # one customer per order up to this many (each user's orders share a GSI partition)
PASSWORD = "flash-password-123"  # noqa: S105 - throwaway local users
GOOD_CARD = "pm_card_visa"
CLIENT_ATTEMPTS = 40  # a customer retrying a busy sale for about a minute
TERMINAL = {"OrderConfirmed": "CONFIRMED", "OrderRejected": "REJECTED", "OrderCancelled": "CANCELLED"}
DECIDED = ("StockReserved", "StockReservationFailed")
#: The partitions whose quota the model scales: the hot product's item and its shards (and the
#: catalog's product-list index partition). Every other partition holds one entity's items (an
#: order, a user), whose load the sale does not raise: DynamoDB's own quota (local/limits.py).
SCALED_KEYS = ("PRODUCT", "STOCK#")


@dataclass(frozen=True)
class Phase:
    name: str
    shards: int
    limits: Limits | None
    offered_per_s: float


@dataclass
class Sale:
    """One phase's clients and what they saw."""

    stack: InstrumentedStack
    sent_at: dict[str, float] = field(default_factory=dict)  # orderId -> first send
    first_tries: list[float] = field(default_factory=list)  # when each order was first sent
    seen: dict[tuple[str, str], float] = field(default_factory=dict)  # (orderId, detail-type) -> first seen
    answers: Counter[str] = field(default_factory=Counter)
    tokens: dict[int, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def watch(self, stop: threading.Event) -> None:
        while not stop.is_set():
            events = self.stack.captured_events()
            now = time.monotonic()
            with self.lock:
                for event in events:
                    order_id = ((event.get("detail") or {}).get("data") or {}).get("orderId")
                    if order_id:
                        self.seen.setdefault((order_id, str(event.get("detail-type"))), now)
            stop.wait(0.2)

    def first(self, detail_type: str) -> dict[str, float]:
        with self.lock:
            return {order: at for (order, kind), at in self.seen.items() if kind == detail_type}

    def terminal(self) -> dict[str, float]:
        found: dict[str, float] = {}
        for kind in TERMINAL:
            for order, at in self.first(kind).items():
                found[order] = min(at, found.get(order, at))
        return found


def _call(api: str, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client(api).call(method, path, body, headers)


def _set_up(sale: Sale, phase: Phase, units: int, orders: int) -> tuple[str, dict[str, str]]:
    """Admin, product (sharded if the phase says so), users; returns the product id and admin header."""
    from local.seed import admin_credentials, create_admin

    stack = sale.stack
    if not create_admin(stack.seed_target(), ROOT):
        raise RuntimeError("could not create the admin user (tools/create_admin.py)")
    email, password = admin_credentials()
    status, login = _call(stack.api_url, "POST", "/auth/login", {"email": email, "password": password})
    if status != 200:
        raise RuntimeError(f"admin login failed: {status} {login}")
    admin = login["accessToken"]
    product = {
        "name": f"Flash product {uuid.uuid4().hex[:6]}",
        "description": "one hot product",
        "price": {"amount": 4999, "currency": "EUR"},
        "stock": units,
    }
    status, created = _call(stack.api_url, "POST", "/products", product, admin)
    if status != 201:
        raise RuntimeError(f"POST /products failed: {status} {created}")
    product_id = created["productId"]
    if phase.shards > 1:
        status, body = _call(
            stack.api_url, "PATCH", f"/products/{product_id}", {"stockShards": phase.shards}, admin
        )
        if status != 200:
            raise RuntimeError(f"PATCH stockShards failed: {status} {body}")
    for user in range(min(MAX_USERS, orders)):
        user_email = f"flash-{uuid.uuid4().hex[:10]}@example.com"
        body = {"email": user_email, "password": PASSWORD, "name": "Flash"}
        status, answer = _call(stack.api_url, "POST", "/auth/register", body)
        if status != 201:
            raise RuntimeError(f"register failed: {status} {answer}")
        status, tokens = _call(
            stack.api_url, "POST", "/auth/login", {"email": user_email, "password": PASSWORD}
        )
        if status != 200:
            raise RuntimeError(f"login failed: {status} {tokens}")
        sale.tokens[user] = tokens["accessToken"]
    return product_id, {"Authorization": f"Bearer {admin}"}


def _place(sale: Sale, product_id: str, number: int, send_at: float) -> None:
    """One order, sent at its scheduled time; 429 and 5xx retried with backoff, same key."""
    delay = send_at - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    body = {"items": [{"productId": product_id, "quantity": 1}], "paymentMethodId": GOOD_CARD}
    headers = {
        "Idempotency-Key": uuid.uuid4().hex,
        "Authorization": f"Bearer {sale.tokens[number % len(sale.tokens)]}",
    }
    client = Client(sale.stack.api_url)
    started = time.monotonic()
    with sale.lock:
        sale.first_tries.append(started)
    for attempt in range(CLIENT_ATTEMPTS):
        try:
            status, answer = client.call("POST", "/orders", body, headers)
        except OSError:
            status, answer, client = 599, None, Client(sale.stack.api_url)
        with sale.lock:
            sale.answers[str(status)] += 1
            if status >= 500:
                detail = answer.get("title") or answer.get("message") if isinstance(answer, dict) else answer
                sale.answers[f"{status} {str(detail)[:40]}"] += 1
        if status == 202:
            with sale.lock:
                sale.sent_at[answer["orderId"]] = started
            return
        if status != 429 and status < 500:
            return
        time.sleep(min(2.0, 0.1 * 2**attempt))


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def _dead_letters(stack: InstrumentedStack) -> int:
    sqs = stack.clients()("sqs")
    count = 0
    for lid, url in stack.queue_urls().items():
        if "dlq" in lid.lower() or "deadletter" in lid.lower():
            attributes = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            count += sum(int(v) for v in attributes.values())
    return count


def run_phase(phase: Phase, orders: int, units: int, deadline_s: float) -> dict[str, Any]:
    # Limits go on once the users and the product exist: the sale is what the model measures (at
    # this scale a user's own partition takes one registration every 20 s).
    # Lambda scales a function out to hundreds of environments; the local stack's default of 4
    # concurrent workers a function would make a throttled POST /orders (which waits in the SDK's
    # retries) queue the others until they time out, a limit AWS does not have.
    stack = InstrumentedStack(TEMPLATE, seed=False, sqs_retry_delay_s=2.0, max_workers=WORKERS_PER_FUNCTION)
    # Sharding off: not even the automatic kind.
    stack_env = {"AUTO_SHARDS_MAX": "1"} if phase.shards <= 1 else {}
    if phase.limits is not None:  # cache ages scale with the quotas (local/limits.py)
        stack_env.update(phase.limits.function_environment)
    stack.start()
    assert stack.runtime is not None
    stack.runtime.extra_env.update(stack_env)
    sale = Sale(stack)
    try:
        set_up_at = time.monotonic()
        product_id, admin = _set_up(sale, phase, units, orders)
        print(f"[flash]   set up in {time.monotonic() - set_up_at:.0f} s", file=sys.stderr, flush=True)
        stop = threading.Event()
        watcher = threading.Thread(target=sale.watch, args=(stop,), daemon=True)
        watcher.start()
        if phase.limits is not None:
            install_limits(phase.limits)
            if stack.stripe is not None:
                stack.stripe.state.limits = phase.limits.stripe_limits
        throttles_before = Counter(RECORDER.counts)
        partitions_before = Counter(RECORDER.partitions)
        threads = min(orders, 200)  # open loop: a retrying client never delays the next first try
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for number in range(orders):
                pool.submit(_place, sale, product_id, number, started + number / phase.offered_per_s)
        sending_s = max(sale.sent_at.values(), default=started) - started
        until = started + deadline_s
        report_at = time.monotonic() + 15
        while time.monotonic() < until:
            if len(sale.terminal()) >= len(sale.sent_at) and stack.quiet():
                break
            if time.monotonic() >= report_at:
                report_at += 15
                decided = len(sale.first("StockReserved")) + len(sale.first("StockReservationFailed"))
                print(
                    f"[flash]   {time.monotonic() - started:5.0f} s: {len(sale.sent_at)} accepted, "
                    f"{decided} decided, {len(sale.terminal())} terminal, answers {dict(sale.answers)}",
                    file=sys.stderr,
                    flush=True,
                )
            time.sleep(0.5)
        stop.set()
        watcher.join(timeout=5)
        throttles = Counter(RECORDER.counts)
        throttles.subtract(throttles_before)
        partitions = Counter(RECORDER.partitions)
        partitions.subtract(partitions_before)
        uninstall_limits()  # the sale is over: what is left is read as it is, not throttled
        result = _measure(sale, phase, product_id, admin, orders, units, started, sending_s, throttles)
        result["throttled_partitions"] = {
            f"{reason} {kind}": n for (reason, kind), n in partitions.items() if n > 0
        }
        return result
    finally:
        uninstall_limits()
        stack.stop()


def _measure(
    sale: Sale,
    phase: Phase,
    product_id: str,
    admin: dict[str, str],
    orders: int,
    units: int,
    started: float,
    sending_s: float,
    throttles: Counter[tuple[str, str]],
) -> dict[str, Any]:
    stack = sale.stack
    for event in stack.captured_events():  # anything left in the capture queue
        order_id = ((event.get("detail") or {}).get("data") or {}).get("orderId")
        if order_id:
            sale.seen.setdefault((order_id, str(event.get("detail-type"))), time.monotonic())
    accepted = set(sale.sent_at)
    terminal = sale.terminal()
    confirmed = set(sale.first("OrderConfirmed")) & accepted
    decided_at = {**sale.first("StockReservationFailed"), **sale.first("StockReserved")}
    decided = [at for order, at in decided_at.items() if order in accepted]
    reserved = sorted(at for order, at in sale.first("StockReserved").items() if order in accepted)
    status, product = Client(stack.api_url).call("GET", f"/products/{product_id}", None, admin)
    left = int(product["stock"]) if status == 200 else -1
    intents = [
        intent
        for intent in stack.stripe_snapshot().get("paymentIntents", [])
        if intent.get("status") == "succeeded"
    ]
    charged = Counter(str((intent.get("metadata") or {}).get("orderId")) for intent in intents)
    created = sorted(float(intent.get("created") or 0) for intent in intents)
    to_terminal = [terminal[o] - sale.sent_at[o] for o in accepted if o in terminal]
    to_confirmed = [terminal[o] - sale.sent_at[o] for o in confirmed if o in terminal]
    sustained = len(decided) / max(1e-9, max(decided, default=started) - started) if decided else 0.0
    sell_out_s = reserved[units - 1] - started if len(reserved) >= units else None
    charge_window = (created[-1] - created[0]) if len(created) > 1 else 0.0
    stripe_rate = phase.limits.stripe_rate(STRIPE_ENDPOINT_REQUESTS_PER_SECOND) if phase.limits else math.inf
    # A token bucket holds one second of its rate: at most that many charges beyond rate x window
    # (the stub stamps `created` in whole seconds, so the window may read up to 1 s short).
    charges_within_limit = len(created) <= stripe_rate * (charge_window + 1) + max(1.0, stripe_rate) + 1
    return {
        "phase": phase.name,
        "shards": phase.shards,
        "scale": phase.limits.scale if phase.limits else None,
        "stripe_scale": phase.limits.stripe_scale if phase.limits else None,
        "orders": orders,
        "units": units,
        "offered_per_s": round(len(sale.first_tries) / max(1e-9, max(sale.first_tries) - started), 3)
        if len(sale.first_tries) > 1
        else 0.0,
        "accepted_per_s": round(len(accepted) / max(1e-9, sending_s), 3) if accepted else 0.0,
        "target_per_s": phase.offered_per_s,
        "sustained_per_s": round(sustained, 3),
        "sold_per_s": round(units / sell_out_s, 3) if sell_out_s else 0.0,
        "throttles": {f"{service} {reason}": n for (service, reason), n in throttles.items() if n > 0},
        "answers": dict(sale.answers),
        "p50_terminal_s": round(_percentile(to_terminal, 0.5), 2),
        "p99_terminal_s": round(_percentile(to_terminal, 0.99), 2),
        "p50_confirmed_s": round(_percentile(to_confirmed, 0.5), 2),
        "p99_confirmed_s": round(_percentile(to_confirmed, 0.99), 2),
        "sell_out_s": round(sell_out_s, 2) if sell_out_s is not None else None,
        "charges_per_s": round((len(created) - 1) / charge_window, 3) if charge_window > 0 else None,
        "accepted": len(accepted),
        "terminal": sum(1 for o in accepted if o in terminal),
        "confirmed": len(confirmed),
        "charges": len(intents),
        "charged_twice": sum(1 for n in charged.values() if n > 1),
        "left": left,
        "oversold": max(0, len(confirmed) + max(left, 0) - units) + (1 if left < 0 else 0),
        "dead_letters": _dead_letters(stack),
        "stripe_rate_limited": stack.stripe_snapshot().get("rateLimited", 0),
        "charges_within_limit": charges_within_limit,
    }


def invariants(result: dict[str, Any]) -> list[str]:
    """What broke in one phase (empty: nothing)."""
    broken = []
    if result["accepted"] != result["orders"]:
        broken.append(f"{result['orders'] - result['accepted']} orders never accepted")
    # The unsharded baseline's refusals queue behind the hot item's throttled reads and writes, and
    # their deferrals back off (1, 2, 4 ... s): a tail that outlasts a phase is the failure sharding
    # removes, so it is reported there (terminal < accepted), not counted as broken.
    if result["terminal"] != result["accepted"] and result["phase"] != "unsharded":
        broken.append(f"{result['accepted'] - result['terminal']} orders not terminal")
    if not result["confirmed"] == result["units"] == result["charges"]:
        broken.append(
            f"confirmed {result['confirmed']}, units {result['units']}, charges {result['charges']}"
        )
    if result["charged_twice"]:
        broken.append(f"{result['charged_twice']} orders charged twice")
    if result["oversold"] or result["confirmed"] + result["left"] != result["units"]:
        broken.append(f"stock: {result['confirmed']} sold + {result['left']} left != {result['units']}")
    if result["dead_letters"]:
        broken.append(f"{result['dead_letters']} dead letters")
    if not result["charges_within_limit"]:
        broken.append(f"charges above Stripe's scaled rate ({result['charges_per_s']}/s)")
    return broken


def _spread(values: list[float]) -> str:
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return "-"
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:g}"
    return f"{median:g} ({min(values):g}-{max(values):g})"


ROWS = (
    ("offered orders/s", "offered_per_s"),
    ("accepted orders/s (202)", "accepted_per_s"),
    ("sold units/s (until sold out)", "sold_per_s"),
    ("decided orders/s", "sustained_per_s"),
    ("p50 s to terminal", "p50_terminal_s"),
    ("p99 s to terminal", "p99_terminal_s"),
    ("p50 s to confirmed", "p50_confirmed_s"),
    ("p99 s to confirmed", "p99_confirmed_s"),
    ("s to sell out", "sell_out_s"),
    ("charges/s", "charges_per_s"),
    ("terminal / accepted", "terminal"),
    ("confirmed", "confirmed"),
    ("charges", "charges"),
    ("units left", "left"),
    ("oversold", "oversold"),
    ("dead letters", "dead_letters"),
    ("Stripe 429s", "stripe_rate_limited"),
)


def summarize(results: list[dict[str, Any]], phases: list[str]) -> dict[str, Any]:
    by_phase = {name: [r for r in results if r["phase"] == name] for name in phases}

    def median(name: str, key: str) -> float:
        rows = by_phase.get(name) or []
        return statistics.median([r[key] for r in rows]) if rows else 0.0

    offered = median("sharded", "target_per_s")
    unsharded = median("unsharded", "sold_per_s")
    ratio = median("sharded", "sold_per_s") / unsharded if unsharded else math.inf
    control = median("limits off", "sustained_per_s") / offered if offered else 0.0
    broken = [f"{r['phase']} round {r['round']}: {b}" for r in results for b in invariants(r)]
    if ratio < RATIO_BUDGET:
        broken.append(f"sharded/unsharded sold rate {ratio:.1f}x < {RATIO_BUDGET:g}x")
    if "limits off" in by_phase and control < CONTROL_BUDGET:
        broken.append(f"limits off decided {control:.1f}x the offered rate < {CONTROL_BUDGET:g}x")
    return {"ratio": round(ratio, 2), "control_over_offered": round(control, 2), "broken": broken}


def print_table(results: list[dict[str, Any]], phases: list[str], summary: dict[str, Any]) -> None:
    by_phase = {name: [r for r in results if r["phase"] == name] for name in phases}
    first = results[0]
    limited = next((r for r in results if r["scale"]), first)
    print(
        f"\nFlash sale, scale model: {first['orders']} orders for {first['units']} units of one product; "
        f"AWS limits x{limited['scale']}, Stripe's x{limited['stripe_scale'] or limited['scale']}; "
        f"{len(results) // len(phases)} rounds, median (min-max)"
    )
    print(f"\n{'':<30}" + "".join(f"{name:>26}" for name in phases))
    for label, key in ROWS:
        print(f"{label:<30}" + "".join(f"{_spread([r[key] for r in by_phase[n]]):>26}" for n in phases))
    for name in phases:
        total: Counter[str] = Counter()
        for r in by_phase[name]:
            total.update(r["throttles"])
        rounds = max(1, len(by_phase[name]))
        shown = ", ".join(f"{k} {v / rounds:g}" for k, v in total.most_common()) or "none"
        print(f"throttles per round, {name}: {shown}")
        kinds: Counter[str] = Counter()
        for r in by_phase[name]:
            kinds.update(r.get("throttled_partitions") or {})
        shown = ", ".join(f"{k} {v / rounds:g}" for k, v in kinds.most_common()) or "none"
        print(f"  by partition kind: {shown}")
    print(
        f"\nsharded / unsharded sold rate: {summary['ratio']}x (budget >= {RATIO_BUDGET:g}x); "
        f"limits off decided / offered: {summary['control_over_offered']}x (budget >= {CONTROL_BUDGET:g}x)"
    )
    for line in summary["broken"]:
        print(f"BROKEN  {line}")
    if not summary["broken"]:
        print("every invariant and budget holds")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=0.0001)
    parser.add_argument("--stripe-scale", type=float, default=0.02)
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--units", type=int, default=16)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--control-factor", type=float, default=3.0)
    parser.add_argument("--deadline", type=float, default=900.0, help="seconds for one phase to settle")
    parser.add_argument("--phases", default="unsharded,sharded,limits off")
    parser.add_argument("--json", default=str(ROOT / ".local" / "flash.json"))
    args = parser.parse_args()
    limits = Limits(scale=args.scale, stripe_scale=args.stripe_scale, scaled_keys=SCALED_KEYS)
    offered = FULL_SCALE_ORDERS_PER_SECOND * args.scale
    all_phases = {
        "unsharded": Phase("unsharded", 1, limits, offered),
        "sharded": Phase("sharded", args.shards, limits, offered),
        "limits off": Phase("limits off", args.shards, None, offered * args.control_factor),
    }
    names = [name.strip() for name in args.phases.split(",") if name.strip()]
    results: list[dict[str, Any]] = []
    for round_number in range(args.rounds):
        rotation = names[round_number % len(names) :] + names[: round_number % len(names)]
        for name in rotation:
            print(f"[flash] round {round_number + 1}: {name}", file=sys.stderr, flush=True)
            result = run_phase(all_phases[name], args.orders, args.units, args.deadline)
            result["round"] = round_number + 1
            print(f"[flash]   {json.dumps(result)}", file=sys.stderr, flush=True)
            results.append(result)
    summary = summarize(results, names)
    print_table(results, names, summary)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"results": results, "summary": summary}, indent=2) + "\n")
    return 1 if summary["broken"] else 0


if __name__ == "__main__":
    sys.exit(main())
