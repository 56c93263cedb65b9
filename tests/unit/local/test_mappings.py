"""Event source mappings read from the template, and Lambda's partial-batch-failure contract."""

from __future__ import annotations

from local.functions import load_functions
from local.mappings import batch_item_failures, load_mappings
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
