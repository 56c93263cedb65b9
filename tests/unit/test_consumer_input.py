"""Every consumer's event input, property-based (issue 18: fuzzing where schemathesis does not go).

Whatever an SQS body holds — text that is not JSON, JSON that is no EventBridge event, an event of a
type the consumer does not take or from a source that may not send it, metadata or data of any
shape — `commerce.consumer` either hands the handler a typed delivery, or sends the message to the
consumer's dead-letter queue with a log line saying why; either way the message is reported done,
so SQS never retries it in a loop, and the handler (the only code that writes) never sees it
unless it fit. Each consumer is driven with its own `accepts` (the detail types its rules route to
it, tests/infra/test_saga_infra.py) and its own sample event (events/<module>.json) as the seed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commerce import consumer
from commerce.events import EVENTS
from tests.infra.test_saga_infra import SAGA_CONSUMERS

ROOT = Path(__file__).resolve().parents[2]
CONSUMERS = sorted(handler.removesuffix(".lambda_handler") for handler in SAGA_CONSUMERS)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=25,
)


def _accepts(module: str) -> dict[str, Any]:
    return {name: EVENTS[name][1] for name in SAGA_CONSUMERS[f"{module}.lambda_handler"]}


def _sample_record(module: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((ROOT / "events" / f"{module}.json").read_text())["Records"][0]
    return record


def _mutations(envelope: dict[str, Any]) -> st.SearchStrategy[str]:
    """Bodies near the sample: one part of it replaced by anything, or dropped."""

    def replace(path: tuple[str, ...], value: Any) -> str:
        mutated = copy.deepcopy(envelope)
        target = mutated
        for key in path[:-1]:
            target = target.setdefault(key, {}) if isinstance(target, dict) else target
        if isinstance(target, dict):
            if value is _DROP:
                target.pop(path[-1], None)
            else:
                target[path[-1]] = value
        return json.dumps(mutated)

    data = envelope["detail"].get("data") or {}
    paths = [("detail-type",), ("source",), ("detail",), ("detail", "metadata"), ("detail", "data")]
    paths += [("detail", "metadata", key) for key in envelope["detail"].get("metadata", {})]
    paths += [("detail", "data", key) for key in data]
    other_types = [*sorted(EVENTS), "ShipmentDispatched", "StockReplenished"]
    values = (
        json_values
        | st.just(_DROP)
        | st.sampled_from(other_types)
        | st.sampled_from(["warehouse", "commerce.orders"])
    )
    return st.builds(replace, st.sampled_from(paths), values)


_DROP = object()


def bodies(module: str) -> st.SearchStrategy[str]:
    envelope = json.loads(_sample_record(module)["body"])
    return st.text(max_size=200) | json_values.map(json.dumps) | _mutations(envelope)


@pytest.mark.parametrize("module", CONSUMERS)
def test_the_sample_event_is_taken(module: str) -> None:
    delivery = consumer.parse(_sample_record(module)["body"], _accepts(module))
    assert delivery.name in _accepts(module)


@pytest.mark.parametrize("module", CONSUMERS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_body_is_handled_or_dead_lettered_with_a_reason_never_retried(
    module: str, data: st.DataObject
) -> None:
    body = data.draw(bodies(module))
    accepts = _accepts(module)
    handled: list[consumer.Delivery] = []
    dead: list[str] = []
    logged: list[str] = []
    record = {**_sample_record(module), "body": body}

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(consumer, "dead_letter", lambda _record, reason: dead.append(reason))
        patch.setattr(consumer, "hand_back", lambda _record, _delay: pytest.fail("a message was retried"))
        patch.setattr(consumer.logger, "error", lambda message, **_kw: logged.append(message))
        response = consumer.consume({"Records": [record]}, None, handled.append, accepts=accepts)

    assert response["batchItemFailures"] == []  # reported done: no retry loop
    assert len(handled) + len(dead) == 1
    if handled:
        [delivery] = handled
        assert isinstance(delivery.data, accepts[delivery.name])
        expected_source = EVENTS.get(delivery.name, ("",))[0]
        assert not expected_source or delivery.source == expected_source
    else:
        assert dead[0]  # the reason travels with the message
        assert logged == ["unprocessable event sent to the dead-letter queue"]
