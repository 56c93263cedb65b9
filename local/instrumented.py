"""The local stack, in this process, with the instruments `make bench` and `make chaos` need.

`InstrumentedStack` is `local.stack.LocalStack` plus:

- worker hooks (local/worker_hooks/sitecustomize.py on every worker's PYTHONPATH): a per-call log of
  AWS API calls with DynamoDB consumed capacity, and transient faults before a share of DynamoDB,
  SQS and EventBridge calls;
- Stripe faults: a share of Stripe API requests answers 500 with `Stripe-Should-Retry: true`, half of
  them *after* the stub has processed the request (the charge happened, the answer was lost);
- at-least-once delivery, out of order: a share of the SQS batches and stream batches handed to
  functions is delivered again (SQS copies after a random delay, so they arrive after newer events);
  SQS batches are shuffled;
- an invocation count per function, and a capture rule that copies every `commerce.*` event on the
  bus into a queue so a harness can prove every outbox entry was published.

Nothing in local/ changes: the harness subclasses the stack, sets extra worker environment before any
worker starts, and swaps the Stripe stub's request handler.
"""

from __future__ import annotations

import json
import random
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local import stripe_stub
from local.functions import FunctionSpec
from local.limits import Limits
from local.moto_server import Clients
from local.net import free_port
from local.runtime import InvokeResult
from local.stack import LocalStack, StackOptions

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / "local" / "worker_hooks"
TEMPLATE = ROOT / ".local" / "cdk.out" / "Commerce-dev.template.json"
CAPTURE_RULE = "harness-capture-all"


@dataclass
class Faults:
    """What goes wrong, and how often. `rate` applies to each AWS call, Stripe request and delivery."""

    rate: float = 0.0
    seed: int = 1
    duplicate_rate: float | None = None  # defaults to `rate`

    @property
    def duplicates(self) -> float:
        return self.rate if self.duplicate_rate is None else self.duplicate_rate


@dataclass
class Tally:
    invocations: Counter[str] = field(default_factory=Counter)
    duration_ms: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    errors: Counter[str] = field(default_factory=Counter)
    duplicated: Counter[str] = field(default_factory=Counter)
    stripe_faults: Counter[str] = field(default_factory=Counter)
    # Why a delivery failed as a whole (e.g. Sandbox.Timedout), by SQS message id and event id:
    # such failures leave no application log line, yet explain a dead letter.
    failed_deliveries: dict[str, str] = field(default_factory=dict)
    # Faults injected into the event source mappings' own SQS calls (Lambda's poller, not a function).
    poller_faults: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _FaultyPollerSqs:
    """The SQS client of an event source mapping, failing a share of its calls while armed.

    A failed ReceiveMessage is retried by the poller; a failed DeleteMessageBatch leaves processed
    messages in the queue, so SQS delivers them again after the visibility timeout (a duplicate);
    a failed ChangeMessageVisibility lets a failed message wait the full visibility timeout.
    """

    FAULTED = ("receive_message", "delete_message_batch", "change_message_visibility")
    CODES = ("ServiceUnavailable", "InternalFailure", "RequestThrottled")

    def __init__(self, inner: Any, stack: InstrumentedStack) -> None:
        self._inner = inner
        self._stack = stack

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name not in self.FAULTED:
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            stack = self._stack
            if stack.armed and stack.faults.rate > 0:
                with stack.tally.lock:
                    fail = stack.rng.random() < stack.faults.rate
                    code = stack.rng.choice(self.CODES)
                    if fail:
                        stack.tally.poller_faults.append(
                            {"fn": "event source mapping", "service": "sqs", "op": name, "fault": code}
                        )
                if fail:
                    from botocore.exceptions import ClientError

                    raise ClientError({"Error": {"Code": code, "Message": "injected fault"}}, name)
            return attribute(*args, **kwargs)

        return call


class _FaultyStripeHandler(stripe_stub._Handler):
    """Fails a share of Stripe API calls the way Stripe does when it asks the client to retry."""

    faults: Faults
    rng: random.Random
    tally: Tally
    armed: Any  # () -> bool
    _lose = False

    def do_POST(self) -> None:
        if self.path.startswith("/v1/") and self.armed() and self.rng.random() < self.faults.rate:
            if self.rng.random() < 0.5:
                self._body()
                with self.tally.lock:
                    self.tally.stripe_faults["before"] += 1
                self._fail()
                return
            with self.tally.lock:
                self.tally.stripe_faults["response lost"] += 1
            self._lose = True
        super().do_POST()

    def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        if self._lose:
            self._lose = False
            self._fail()
            return
        super()._reply(status, body, headers)

    def _fail(self) -> None:
        raw = json.dumps({"error": {"type": "api_error", "message": "injected fault"}}).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("Stripe-Should-Retry", "true")
        self.end_headers()
        self.wfile.write(raw)


class InstrumentedStack(LocalStack):
    def __init__(
        self,
        template: Path = TEMPLATE,
        *,
        faults: Faults | None = None,
        call_log: bool = False,
        seed: bool = True,
        max_workers: int = 4,
        sqs_retry_delay_s: float = 12.0,
        limits: Limits | None = None,
    ) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="commerce-harness-"))
        super().__init__(
            StackOptions(
                template=template,
                port=free_port(),
                aws_port=free_port(),
                stripe_port=free_port(),
                state_dir=self.workdir,
                seed=False,  # seeded below, once the worker hooks are in place
                max_workers=max_workers,
                # Shorter than SQS's visibility timeout (6x the function timeout), but never shorter
                # than the function's timeout: a Powertools Idempotency INPROGRESS record left by a
                # failed attempt expires at that attempt's deadline, before the next receive.
                sqs_retry_delay_s=sqs_retry_delay_s,
                sqs_retry_after_timeout=True,
                repo_root=ROOT,
                limits=limits,
            )
        )
        self.faults = faults or Faults()
        self.call_log = call_log
        self.want_seed = seed
        self.tally = Tally()
        self.rng = random.Random(self.faults.seed)
        self.capture_queue_url: str | None = None
        self._timers: list[threading.Timer] = []

    @property
    def calls_dir(self) -> Path:
        return self.workdir / "calls"

    @property
    def faults_dir(self) -> Path:
        return self.workdir / "faults"

    @property
    def switch(self) -> Path:
        return self.workdir / "faults-armed"

    @property
    def armed(self) -> bool:
        return self.switch.exists()

    def arm(self, armed: bool = True) -> None:
        """Faults (AWS calls, Stripe, deliveries) happen only while armed; a set-up runs unarmed."""
        if armed:
            self.switch.touch()
        else:
            self.switch.unlink(missing_ok=True)

    def clients(self) -> Clients:
        return Clients(self.aws_endpoint)

    def start(self) -> InstrumentedStack:
        super().start()
        assert self.runtime is not None
        env = {"PYTHONPATH": str(HOOKS), "COMMERCE_FAULT_LOG": str(self.faults_dir)}
        if self.call_log:
            env["COMMERCE_CALL_LOG"] = str(self.calls_dir)
        if self.faults.rate > 0:
            env["COMMERCE_FAULTS"] = f"rate={self.faults.rate},seed={self.faults.seed}"
            env["COMMERCE_FAULTS_SWITCH"] = str(self.switch)
            if self.stripe is not None:
                handler = type(
                    "ChaosStripeHandler",
                    (_FaultyStripeHandler,),
                    {
                        "faults": self.faults,
                        "rng": random.Random(self.faults.seed),
                        "tally": self.tally,
                        "armed": staticmethod(lambda: self.armed),
                    },
                )
                self.stripe.server.RequestHandlerClass = handler
        self.runtime.extra_env.update(env)
        if self.mappings is not None:
            from local.pollers import SqsPoller

            for poller in self.mappings.pollers:
                if isinstance(poller, SqsPoller):
                    poller.sqs = _FaultyPollerSqs(poller.sqs, self)
        self._capture_events()
        if self.want_seed:
            from local.seed import seed

            seed(self.seed_target(), ROOT)
        return self

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        super().stop()

    # -- at-least-once, out-of-order delivery -------------------------------------------------------
    def _invoke_async(self, spec: FunctionSpec, event: Any, trigger: str) -> tuple[InvokeResult, str | None]:
        records: list[dict[str, Any]] = (event.get("Records") if isinstance(event, dict) else None) or []
        sqs = bool(records) and records[0].get("eventSource") == "aws:sqs"
        armed = self.armed
        if sqs and armed and self.faults.rate > 0 and len(records) > 1:
            event = {**event, "Records": self.rng.sample(records, len(records))}
        result, outcome = super()._invoke_async(spec, event, trigger)
        with self.tally.lock:
            self.tally.invocations[spec.logical_id] += 1
            self.tally.duration_ms[spec.logical_id] += result.duration_ms
            if not result.ok or outcome:
                self.tally.errors[spec.logical_id] += 1
            if sqs and not result.ok:
                reason = f"{spec.logical_id} failed the whole batch: {(result.error or {}).get('errorType')}"
                for record in records:
                    self.tally.failed_deliveries[str(record.get("messageId"))] = reason
                    event_id = _event_id(record.get("body"))
                    if event_id:
                        self.tally.failed_deliveries[event_id] = reason
        if records and armed and self.faults.duplicates > 0 and self.rng.random() < self.faults.duplicates:
            with self.tally.lock:
                self.tally.duplicated[spec.logical_id] += 1
            if sqs:
                timer = threading.Timer(
                    self.rng.uniform(0.05, 1.5), self._redeliver, args=(spec, event, trigger)
                )
                timer.daemon = True
                self._timers.append(timer)
                timer.start()
            else:  # a stream batch is retried in order, right away
                self._redeliver(spec, event, trigger)
        return result, outcome

    def _redeliver(self, spec: FunctionSpec, event: Any, trigger: str) -> None:
        if self.runtime is None or self.runtime.stopping:
            return
        super()._invoke_async(spec, event, f"{trigger} (duplicate)")
        with self.tally.lock:
            self.tally.invocations[spec.logical_id] += 1

    def _invoke_api(self, spec: FunctionSpec, event: Any, timeout_s: float, trigger: str) -> InvokeResult:
        result = super()._invoke_api(spec, event, timeout_s, trigger)
        with self.tally.lock:
            self.tally.invocations[spec.logical_id] += 1
            self.tally.duration_ms[spec.logical_id] += result.duration_ms
        return result

    # -- inspection -------------------------------------------------------------------------------
    def _capture_events(self) -> None:
        """Copies every event a service publishes into a queue (rules are evaluated by moto)."""
        bus = self.outputs.get("EventBusName")
        if not bus:
            return
        clients = self.clients()
        sqs, events = clients("sqs"), clients("events")
        url = sqs.create_queue(QueueName="harness-captured-events")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(
            Name=CAPTURE_RULE,
            EventBusName=bus,
            EventPattern=json.dumps({"source": [{"prefix": "commerce."}]}),
        )
        events.put_targets(Rule=CAPTURE_RULE, EventBusName=bus, Targets=[{"Id": "capture", "Arn": arn}])
        self.capture_queue_url = url

    def captured_events(self) -> list[dict[str, Any]]:
        """Drains the capture queue (call it repeatedly and accumulate)."""
        if not self.capture_queue_url:
            return []
        sqs = self.clients()("sqs")
        found: list[dict[str, Any]] = []
        while True:
            messages = sqs.receive_message(
                QueueUrl=self.capture_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not messages:
                return found
            for message in messages:
                found.append(json.loads(message["Body"]))
            sqs.delete_message_batch(
                QueueUrl=self.capture_queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )

    def calls(self) -> list[dict[str, Any]]:
        return _read_jsonl(self.calls_dir)

    def injected_faults(self) -> list[dict[str, Any]]:
        with self.tally.lock:
            poller = list(self.tally.poller_faults)
        return _read_jsonl(self.faults_dir) + poller

    def reset_calls(self) -> None:
        for path in self.calls_dir.glob("*.jsonl"):
            path.unlink()
        with self.tally.lock:
            self.tally.invocations.clear()
            self.tally.duration_ms.clear()

    def table_names(self) -> dict[str, str]:
        """Table physical name by logical id."""
        return {
            lid: self.physical[lid].ref
            for lid, resource in self.template.resources.items()
            if resource.type == "AWS::DynamoDB::Table" and lid in self.physical
        }

    def queue_urls(self) -> dict[str, str]:
        return {
            lid: self.physical[lid].ref
            for lid, resource in self.template.resources.items()
            if resource.type == "AWS::SQS::Queue" and lid in self.physical
        }

    def stripe_snapshot(self) -> dict[str, Any]:
        return self.stripe.state.snapshot() if self.stripe is not None else {}

    def quiet(self, settle_s: float = 1.0) -> bool:
        """True when no queue holds a message in flight and nothing was invoked for `settle_s`."""
        sqs = self.clients()("sqs")
        for lid, url in self.queue_urls().items():
            if "dlq" in lid.lower() or "deadletter" in lid.lower():
                continue
            attributes = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            if any(int(v) for v in attributes.values()):
                return False
        before = sum(self.tally.invocations.values())
        time.sleep(settle_s)
        return sum(self.tally.invocations.values()) == before


def _event_id(body: Any) -> str | None:
    try:
        detail = json.loads(body).get("detail") or {}
        return str((detail.get("metadata") or {}).get("eventId") or "") or None
    except (TypeError, ValueError, AttributeError):
        return None


def _read_jsonl(folder: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                records.append(json.loads(line))
    return records
