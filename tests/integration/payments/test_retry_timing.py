"""When a consumer's message comes back: seconds after an early failure (not the queue's visibility
timeout), and at once when a batch runs out of time. Against moto's SQS, which keeps visibility
timeouts in real time, with the queue configured as the stack configures it (6 x the timeout)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from commerce.aws import client
from local.stripe_stub import StripeStub
from tests.conftest import FakeLambdaContext
from tests.integration.payments.test_payments import charges, order_placed, payments, reserved
from tests.integration.saga_driver import SagaDriver

STACK_VISIBILITY_TIMEOUT = "1080"  # the charge consumer's 180 s timeout x 6 (cdk/services/payments.py)


def _configure_like_the_stack(saga: SagaDriver, monkeypatch: pytest.MonkeyPatch) -> str:
    queue = saga.queues["payments-charge"]
    client("sqs").set_queue_attributes(
        QueueUrl=queue.url, Attributes={"VisibilityTimeout": STACK_VISIBILITY_TIMEOUT}
    )
    monkeypatch.setenv("QUEUE_URL", queue.url)  # what QueueConsumer passes the function
    return queue.url


def wait_for(check: Any, timeout: float, interval: float) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()) and time.monotonic() < deadline:
        time.sleep(interval)
    return value


def _counts(url: str) -> tuple[int, int]:
    attributes = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_stock_reserved_seen_before_its_order_is_retried_within_seconds(
    saga: SagaDriver, stripe_stub: StripeStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _configure_like_the_stack(saga, monkeypatch)
    saga.publish("StockReserved", reserved("o-1"))
    saga.relay()
    assert saga.deliver(saga.queues["payments-charge"]) == 1  # the order is not known yet: fails
    failed_at = time.monotonic()
    assert _counts(url) == (0, 1)
    saga.publish("OrderPlaced", order_placed("o-1"))
    saga.pump(only=payments("payments-record"))

    # Back in 1-2 s (the first backoff), where the queue alone would hold it for 18 minutes.
    assert wait_for(lambda: _counts(url)[0] == 1, timeout=10, interval=0.1)
    assert time.monotonic() - failed_at < 5
    assert saga.deliver(saga.queues["payments-charge"]) == 1
    assert len(saga.published("payments", "PaymentSucceeded")) == 1
    assert len(charges(stripe_stub)) == 1


class ShortOnTime(FakeLambdaContext):
    """An invocation that starts with `start_ms` left and in which every Stripe call takes `per_call_ms`."""

    def __init__(self, stub: StripeStub, start_ms: int, per_call_ms: int) -> None:
        self.stub, self.start_ms, self.per_call_ms = stub, start_ms, per_call_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.start_ms - self.per_call_ms * len(charges(self.stub))


def test_a_batch_short_on_time_hands_the_rest_back_at_once_unprocessed(
    saga: SagaDriver, stripe_stub: StripeStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _configure_like_the_stack(saga, monkeypatch)
    monkeypatch.setenv("RECORD_BUDGET_MS", "50000")
    for order in ("o-1", "o-2", "o-3"):
        saga.publish("OrderPlaced", order_placed(order))
    saga.pump(only=payments("payments-record"))
    for order in ("o-1", "o-2", "o-3"):
        saga.publish("StockReserved", reserved(order))
    saga.relay()
    messages = client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])[
        "Messages"
    ]
    assert len(messages) == 3
    event: dict[str, Any] = {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m["Attributes"],
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:payments-charge",
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }
    from payments import charge_order

    spec = saga.queues["payments-charge"].spec
    # 120 s left at the first message, 70 s at the second, 20 s (< one 50 s budget) at the third.
    with monkeypatch.context() as patch:
        for key, value in spec.env.items():
            patch.setenv(key, value)
        result = charge_order.lambda_handler(event, ShortOnTime(stripe_stub, 120_000, 50_000))

    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == [messages[2]["MessageId"]]
    assert len(charges(stripe_stub)) == 2  # the third was never sent to Stripe
    for message in messages[:2]:
        client("sqs").delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert _counts(url) == (1, 0)  # visible again at once, for the next invocation
