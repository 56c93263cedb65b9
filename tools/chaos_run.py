"""The chaos run's driver (tools/chaos.py): users, products and orders pushed through the instrumented
local stack while faults fire, with retries as a real client would make them."""

from __future__ import annotations

import logging
import random
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.client import Client
from local.instrumented import InstrumentedStack

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
