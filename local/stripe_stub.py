"""A Stripe-compatible HTTP stub: just enough of the API for the payments service, offline.

The Stripe Python SDK talks to it unchanged (`STRIPE_API_BASE` points the SDK here):

- `POST /v1/payment_intents` (form-encoded, `confirm=true`): `pm_card_visa` (and any other method)
  succeeds with a charge; `pm_card_chargeDeclined` answers 402 with Stripe's `card_error` body.
- `GET /v1/payment_intents/{id}`; `POST /v1/refunds` (`payment_intent=...`).
- `Idempotency-Key` is honoured as Stripe does: the same key answers the same response again.
- After each charge, decline and refund it posts a signed webhook (`Stripe-Signature:
  t=<ts>,v1=<HMAC-SHA256(secret, "<ts>.<payload>")>`) to `webhook_url` from a background thread.
- `GET /_stub/charges` shows what happened (payment intents, refunds, webhook deliveries) so tests
  can assert "exactly one charge per order"; `POST /_stub/reset` forgets everything.
- With `limits` (local.limits.StripeLimits, `--limits`), Stripe's rate limiters: over the account's
  operations per second, or one endpoint's requests per second, a request is answered 429 with
  Stripe's `rate_limit` error and `Stripe-Rate-Limited-Reason` (`global-rate` / `endpoint-rate`),
  and is not processed. Off by default.

`start(host, port, webhook_url, webhook_secret)` runs it in a thread and returns a handle with
`.url` and `.stop()` (the local stack and the integration test fixture both use it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from local.limits import StripeLimits, stripe_rate_limited_body

DECLINED_METHODS = {"pm_card_chargeDeclined", "pm_card_visa_chargeDeclined"}
WEBHOOK_ATTEMPTS = 5


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header value for `payload` (what Stripe sends with every webhook)."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{ts}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def parse_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding (`metadata[orderId]=x`, `a[b][c]=y`) into nested dicts."""
    result: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        target = result
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return result


@dataclass
class StubState:
    webhook_url: str | None
    webhook_secret: str | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    payment_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotent: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    limits: StripeLimits | None = None
    rate_limited: int = 0

    def reset(self) -> None:
        with self.lock:
            self.payment_intents.clear()
            self.refunds.clear()
            self.idempotent.clear()
            self.webhooks.clear()
            self.requests = 0
            self.rate_limited = 0

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "paymentIntents": list(self.payment_intents.values()),
                "refunds": list(self.refunds.values()),
                "webhooks": list(self.webhooks),
                "requests": self.requests,
                "rateLimited": self.rate_limited,
            }


class _Handler(BaseHTTPRequestHandler):
    server: _StubServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    # -- plumbing ------------------------------------------------------------------------------
    def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("Request-Id", _new_id("req"))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def _rate_limited(self, method: str, path: str) -> bool:
        """Answer 429 as Stripe does when a limiter refuses the request (nothing is processed)."""
        state = self.server.state
        reason = state.limits.admit(method, path) if state.limits is not None else None
        if reason is None:
            return False
        with state.lock:
            state.rate_limited += 1
        self._reply(429, stripe_rate_limited_body(), {"Stripe-Rate-Limited-Reason": reason})
        return True

    def _body(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode() if length else ""

    def _authorized(self) -> bool:
        auth = self.headers.get("Authorization") or ""
        if auth.startswith("Bearer sk_"):
            return True
        self._reply(
            401,
            {"error": {"type": "invalid_request_error", "message": "You did not provide a valid API key."}},
        )
        return False

    # -- routes --------------------------------------------------------------------------------
    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        state = self.server.state
        if path == "/_stub/charges":
            self._reply(200, state.snapshot())
            return
        if not self._authorized() or self._rate_limited("GET", path):
            return
        with state.lock:
            state.requests += 1
        if path.startswith("/v1/payment_intents/"):
            intent = state.payment_intents.get(path.rsplit("/", 1)[1])
            if intent is None:
                self._reply(404, _missing("payment_intent"))
            else:
                self._reply(200, intent)
            return
        self._reply(404, _missing("route"))

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        state = self.server.state
        body = self._body()
        if path == "/_stub/reset":
            state.reset()
            self._reply(200, {"reset": True})
            return
        if not self._authorized() or self._rate_limited("POST", path):
            return
        params = parse_form(body)
        key = self.headers.get("Idempotency-Key")
        with state.lock:
            state.requests += 1
            if key and f"{path} {key}" in state.idempotent:
                status, cached = state.idempotent[f"{path} {key}"]
                self._reply(status, cached)
                return
            if path == "/v1/payment_intents":
                status, response, webhook = self.server.create_payment_intent(params)
            elif path == "/v1/refunds":
                status, response, webhook = self.server.create_refund(params)
            else:
                status, response, webhook = 404, _missing("route"), None
            if key and status < 500:
                state.idempotent[f"{path} {key}"] = (status, response)
        self._reply(status, response)
        if webhook is not None:
            self.server.send_webhook(*webhook)


def _missing(kind: str) -> dict[str, Any]:
    return {
        "error": {"type": "invalid_request_error", "code": "resource_missing", "message": f"No such {kind}"}
    }


class _StubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: StubState) -> None:
        super().__init__(address, _Handler)
        self.state = state

    # -- behaviour (called with state.lock held) -----------------------------------------------
    def create_payment_intent(
        self, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any], tuple[str, dict[str, Any]] | None]:
        try:
            amount = int(params.get("amount", ""))
        except ValueError:
            return 400, _invalid("amount", "Invalid integer"), None
        currency = str(params.get("currency") or "").lower()
        method = str(params.get("payment_method") or "")
        if amount < 1 or len(currency) != 3 or not method:
            return 400, _invalid("amount", "Missing required param"), None
        intent: dict[str, Any] = {
            "id": _new_id("pi"),
            "object": "payment_intent",
            "amount": amount,
            "amount_received": 0,
            "currency": currency,
            "payment_method": method,
            "metadata": params.get("metadata") or {},
            "created": int(time.time()),
            "livemode": False,
            "latest_charge": None,
            "last_payment_error": None,
            "status": "requires_confirmation",
        }
        if str(params.get("confirm", "")).lower() != "true":
            self.state.payment_intents[intent["id"]] = intent
            return 200, intent, None
        if method in DECLINED_METHODS:
            error = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
                "charge": _new_id("ch"),
            }
            intent.update(status="requires_payment_method", last_payment_error=error)
            self.state.payment_intents[intent["id"]] = intent
            body = {"error": {**error, "payment_intent": intent}}
            return 402, body, ("payment_intent.payment_failed", dict(intent))
        intent.update(status="succeeded", amount_received=amount, latest_charge=_new_id("ch"))
        self.state.payment_intents[intent["id"]] = intent
        return 200, intent, ("payment_intent.succeeded", dict(intent))

    def create_refund(
        self, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any], tuple[str, dict[str, Any]] | None]:
        intent = self.state.payment_intents.get(str(params.get("payment_intent") or ""))
        if intent is None:
            return 400, _invalid("payment_intent", "No such payment_intent"), None
        if intent["status"] != "succeeded":
            return 400, _invalid("payment_intent", "This PaymentIntent has no successful charge"), None
        if any(r["payment_intent"] == intent["id"] for r in self.state.refunds.values()):
            error = _invalid("charge", f"Charge {intent['latest_charge']} has already been refunded.")
            error["error"]["code"] = "charge_already_refunded"
            return 400, error, None
        refund = {
            "id": _new_id("re"),
            "object": "refund",
            "amount": intent["amount"],
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "charge": intent["latest_charge"],
            "metadata": params.get("metadata") or {},
            "status": "succeeded",
            "created": int(time.time()),
        }
        self.state.refunds[refund["id"]] = refund
        charge = {
            "id": intent["latest_charge"],
            "object": "charge",
            "amount": intent["amount"],
            "amount_refunded": intent["amount"],
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "metadata": intent["metadata"],
            "refunded": True,
            "status": "succeeded",
        }
        return 200, refund, ("charge.refunded", charge)

    # -- webhooks ------------------------------------------------------------------------------
    def send_webhook(self, event_type: str, obj: dict[str, Any]) -> None:
        state = self.state
        if not state.webhook_url or not state.webhook_secret:
            return
        event = {
            "id": _new_id("evt"),
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "livemode": False,
            "api_version": "2024-06-20",
            "data": {"object": obj},
        }
        threading.Thread(target=self._deliver, args=(event,), daemon=True).start()

    def _deliver(self, event: dict[str, Any]) -> None:
        state = self.state
        assert state.webhook_url is not None
        assert state.webhook_secret is not None
        payload = json.dumps(event)
        status = 0
        for attempt in range(WEBHOOK_ATTEMPTS):
            request = urllib.request.Request(
                state.webhook_url,
                data=payload.encode(),
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "Stripe-Signature": sign(payload, state.webhook_secret),
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except OSError:
                status = 0
            if 200 <= status < 300:
                break
            time.sleep(0.2 * (attempt + 1))
        with state.lock:
            state.webhooks.append({"id": event["id"], "type": event["type"], "status": status})


def _invalid(param: str, message: str) -> dict[str, Any]:
    return {"error": {"type": "invalid_request_error", "param": param, "message": message}}


@dataclass
class StripeStub:
    server: _StubServer
    thread: threading.Thread
    url: str

    @property
    def state(self) -> StubState:
        return self.server.state

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start(
    host: str,
    port: int,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    limits: StripeLimits | None = None,
) -> StripeStub:
    """Serve the stub on host:port (0 = a free port) in a daemon thread."""
    state = StubState(webhook_url=webhook_url, webhook_secret=webhook_secret, limits=limits)
    server = _StubServer((host, port), state)
    thread = threading.Thread(target=server.serve_forever, name="stripe-stub", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    return StripeStub(server=server, thread=thread, url=f"http://{bound_host!s}:{bound_port}")


if __name__ == "__main__":  # pragma: no cover - manual use: python -m local.stripe_stub
    import os

    stub = start(
        "127.0.0.1",
        int(os.environ.get("STRIPE_PORT", "12111")),
        os.environ.get("WEBHOOK_URL"),
        os.environ.get("WEBHOOK_SECRET"),
    )
    print(f"Stripe stub on {stub.url}")
    try:
        stub.thread.join()
    except KeyboardInterrupt:
        stub.stop()
