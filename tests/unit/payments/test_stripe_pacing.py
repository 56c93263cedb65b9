"""Stripe calls within Stripe's rate limit (payments.stripe_gateway): each environment paces its calls to
its share of the account's rate, a 429 is retried with backoff, and a 429 that persists becomes
`ProviderRateLimited`, which the consumer defers instead of dead-lettering."""

from __future__ import annotations

from typing import Any

import pytest
from payments.domain import ProviderRateLimited
from payments.stripe_gateway import RATE_LIMIT_ATTEMPTS, Pace, within_rate_limit


def _rate_limited() -> Exception:
    import stripe

    # Stripe answers 429 with the `rate_limit` error over its limits: https://docs.stripe.com/rate-limits
    return stripe.RateLimitError("Request rate limit exceeded.", http_status=429, code="rate_limit")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_pace_spaces_an_environments_calls_evenly() -> None:
    clock = Clock()
    pace = Pace(clock, clock.sleep)
    waited = [pace.wait(4.0) for _ in range(5)]  # 4 calls a second: one every 0.25 s
    assert waited == pytest.approx([0.0, 0.25, 0.25, 0.25, 0.25])
    assert pace.wait(0) == 0.0  # no rate set: no pacing


def test_a_429_is_retried_with_backoff_and_the_call_then_succeeds() -> None:
    answers: list[Any] = [_rate_limited(), _rate_limited(), "charged"]
    slept: list[float] = []

    def call() -> Any:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert within_rate_limit(call, sleep=slept.append) == "charged"
    assert len(slept) == 2
    assert all(0 <= s <= 4.0 for s in slept)


def test_a_429_that_persists_is_deferred_never_a_failure_that_spends_receives() -> None:
    calls: list[int] = []
    slept: list[float] = []

    def call() -> Any:
        calls.append(1)
        raise _rate_limited()

    with pytest.raises(ProviderRateLimited) as raised:
        within_rate_limit(call, sleep=slept.append)
    assert len(calls) == RATE_LIMIT_ATTEMPTS
    assert len(slept) == RATE_LIMIT_ATTEMPTS - 1
    assert raised.value.retry_after_seconds >= 1  # a RateLimited: commerce.consumer defers it
