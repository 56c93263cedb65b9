"""The backoff a failed consumer message gets (commerce.consumer.retry_delay): seconds at first, then
minutes, so an out-of-order delivery settles fast and a dependency that stays down is not hammered."""

from __future__ import annotations

import random

import pytest

from commerce.consumer import RETRY_CAP_SECONDS, retry_delay


@pytest.mark.parametrize(("receive", "base"), [(1, 2), (2, 10), (3, 50), (4, 250), (5, 900), (9, 900)])
def test_the_delay_grows_fivefold_with_up_to_half_taken_off(receive: int, base: int) -> None:
    random.seed(receive)
    delays = {retry_delay(receive) for _ in range(200)}
    assert min(delays) >= max(1, base // 2)
    assert max(delays) <= base <= RETRY_CAP_SECONDS


def test_five_receives_give_a_failing_message_minutes_not_seconds_before_the_dlq(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # maxReceiveCount is 5 (cdk/constructs/queue_consumer.py): four waits come before the DLQ.
    waits = {}
    for jitter in (0.5, 1.0):
        monkeypatch.setattr(random, "uniform", lambda _low, _high, j=jitter: j)
        waits[jitter] = sum(retry_delay(receive) for receive in range(1, 5))
    assert waits[0.5] >= 150
    assert waits[1.0] <= 320
