"""The invariants a chaos run must end with (tools/chaos.py): every order terminal, stock and money
conserved, events and dead letters accounted for."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from tools.chaos_run import TERMINAL, Run


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
