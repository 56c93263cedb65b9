"""Event source mappings read from the template, and Lambda's partial-batch-failure contract."""

from __future__ import annotations

from typing import Any

from local.functions import load_functions
from local.mappings import load_mappings
from local.pollers import batch_item_failures
from local.provision import Provisioner
from tests.unit.local.sample import sample_template


def test_mappings_come_from_the_template_with_their_settings() -> None:
    template = sample_template()
    provisioner = Provisioner(template, None)
    provisioner.placeholders_only()
    functions = load_functions(template, provisioner.resolver)
    mappings = {m.logical_id: m for m in load_mappings(template, provisioner.resolver, functions)}

    consumer = mappings["ConsumerMapping"]
    assert consumer.kind == "sqs"
    assert consumer.function.logical_id == "ConsumerFn"
    assert consumer.batch_size == 10
    assert consumer.report_failures

    stream = mappings["StreamMapping"]
    assert stream.function.logical_id == "StreamFn"
    assert stream.bisect
    assert stream.max_retries == 1
    assert stream.starting_position == "TRIM_HORIZON"
    assert stream.on_failure_arn is not None
    assert stream.on_failure_arn == provisioner.physical["StreamFailures"].attr("Arn")
    assert stream.filters == [
        {"eventName": ["INSERT"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "ITEM#"}]}}}}
    ]


def test_batch_item_failures() -> None:
    ids = ["a", "b", "c"]
    assert batch_item_failures(None, ids) == []
    assert batch_item_failures({"batchItemFailures": []}, ids) == []
    assert batch_item_failures({"batchItemFailures": [{"itemIdentifier": "b"}]}, ids) == ["b"]
    # an identifier that is missing, empty or unknown fails the whole batch, as in Lambda
    assert batch_item_failures({"batchItemFailures": [{"itemIdentifier": ""}]}, ids) is None
    assert batch_item_failures({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, ids) is None
    assert batch_item_failures({"batchItemFailures": [{}]}, ids) is None


class _RecordingSqs:
    def __init__(self) -> None:
        self.visibility: list[int] = []

    def get_queue_url(self, QueueName: str) -> dict[str, str]:
        return {"QueueUrl": f"http://sqs.local/{QueueName}"}

    def change_message_visibility(self, QueueUrl: str, ReceiptHandle: str, VisibilityTimeout: int) -> None:
        self.visibility.append(VisibilityTimeout)


def _retry_delay(retry_delay_s: float, retry_after_timeout: bool) -> int:
    import threading

    from local.pollers import SqsPoller

    template = sample_template()
    provisioner = Provisioner(template, None)
    provisioner.placeholders_only()
    functions = load_functions(template, provisioner.resolver)
    spec = next(m for m in load_mappings(template, provisioner.resolver, functions) if m.kind == "sqs")
    spec.function.timeout_s = 60
    sqs = _RecordingSqs()
    clients: Any = lambda _service: sqs  # noqa: E731 - a stand-in for local.provision.Clients
    invoke: Any = None  # never called: only the retry path runs
    poller = SqsPoller(spec, clients, invoke, threading.Event(), retry_delay_s, retry_after_timeout)
    poller._retry_later([{"messageId": "m", "receiptHandle": "r"}])
    return sqs.visibility[0]


def test_a_shortened_retry_never_comes_before_the_failed_attempts_deadline() -> None:
    # An INPROGRESS idempotency record of the failed attempt lives until its deadline (the timeout).
    assert _retry_delay(12, retry_after_timeout=True) == 60
    assert _retry_delay(90, retry_after_timeout=True) == 90
    assert _retry_delay(12, retry_after_timeout=False) == 12
