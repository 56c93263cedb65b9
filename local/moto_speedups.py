"""SQS and EventBridge in the stand-in without per-request costs that grow with the queues.

moto (5.2) answers an SQS request in time proportional to the messages already queued, several
times over, and rebuilds a parser for every event it routes:

- `ReceiveMessage` checks each message it returns against the retention period by computing all of
  the queue's attributes, `ApproximateNumberOfMessages` included (a walk over every message), so a
  batch of 10 from a queue of 300 cost ~140 ms; `SendMessage` computes them too, only to read
  `ContentBasedDeduplication`; and finding the visible messages reads the clock twice per message;
- `PutEvents` routes each event to each SQS target through an input template whose eight JSONPath
  expressions it compiles anew (a PLY parser each, ~20 ms per event);
- every request, of any service, lists its handler class's methods with `inspect.getmembers`.

With a backlog (a flash sale, a chaos run) the stand-in itself became the bottleneck. `install()`
replaces those spots with cheap equivalents: the retention period and the deduplication flag read
from the queue's own fields, the clock read once per scan, and each JSONPath expression compiled once.
Results are unchanged (tests/unit/local/test_moto_speedups.py compares them with moto's).
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_MARK = "_commerce_fast"
_sending = threading.local()


def install() -> None:
    """Patch moto's SQS backend and EventBridge template parser (idempotent)."""
    _fast_retention_check()
    _fast_visible_messages()
    _fast_send()
    _cached_jsonpath()
    _cached_action_names()


def _fast_retention_check() -> None:
    from moto.core.utils import unix_time
    from moto.sqs.models import SQSBackend

    if getattr(SQSBackend.is_message_valid_based_on_retention_period, _MARK, False):
        return

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        retention_period = int(self.get_queue(queue_name).message_retention_period)
        return bool(retention_period + message.sent_timestamp / 1000 > unix_time())

    setattr(is_message_valid_based_on_retention_period, _MARK, True)
    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period  # type: ignore[method-assign]


def _fast_visible_messages() -> None:
    """`Queue.messages` (the visible, undelayed ones) reading the clock once, not twice per message."""
    from moto.core.utils import unix_time_millis
    from moto.sqs.models import Queue

    if getattr(getattr(Queue.messages, "fget", None), _MARK, False):
        return

    def messages(queue: Any) -> list[Any]:
        now = unix_time_millis()
        return [m for m in queue._messages if now > m.visible_at and not now < m.delayed_until]

    setattr(messages, _MARK, True)
    Queue.messages = property(messages)  # type: ignore[method-assign,assignment]


def _fast_send() -> None:
    """`SendMessage` reads only `ContentBasedDeduplication` from `queue.attributes`, which computes
    every attribute (three of them walk the queue); while a message is sent, the property answers
    with that flag alone (per thread, so other requests still see every attribute)."""
    from moto.sqs.models import Queue, SQSBackend

    if getattr(SQSBackend.send_message, _MARK, False):
        return
    every_attribute = Queue.attributes
    original_send = SQSBackend.send_message

    def attributes(queue: Any) -> dict[str, Any]:
        if getattr(_sending, "active", False):
            if not queue.fifo_queue:
                return {}
            return {"ContentBasedDeduplication": str(bool(queue.content_based_deduplication)).lower()}
        return dict(every_attribute.fget(queue))  # type: ignore[attr-defined]

    def send_message(self: Any, *args: Any, **kwargs: Any) -> Any:
        _sending.active = True
        try:
            return original_send(self, *args, **kwargs)
        finally:
            _sending.active = False

    setattr(send_message, _MARK, True)
    Queue.attributes = property(attributes)  # type: ignore[method-assign,assignment]
    SQSBackend.send_message = send_message  # type: ignore[method-assign]


def _cached_jsonpath() -> None:
    import jsonpath_ng.ext

    if getattr(jsonpath_ng.ext.parse, _MARK, False):
        return
    cached = functools.lru_cache(maxsize=512)(jsonpath_ng.ext.parse)
    setattr(cached, _MARK, True)
    # moto imports `parse` from jsonpath_ng.ext inside the function that routes events.
    jsonpath_ng.ext.parse = cached


def _cached_action_names() -> None:
    """Every request looked up its handler's action names with `inspect.getmembers` (~1 ms)."""
    from moto.core import responses

    if getattr(responses.method_names_from_class, _MARK, False):
        return
    cached = functools.lru_cache(maxsize=256)(responses.method_names_from_class)
    setattr(cached, _MARK, True)
    responses.method_names_from_class = cached
