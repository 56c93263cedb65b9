"""Retrying a call that may succeed moments later (a DynamoDB transaction conflict, throttled keys).

One policy everywhere: a bounded number of tries, exponential waits from `base` capped at `cap`,
each drawn uniformly below its bound ("full jitter"), so competing writers spread out instead of
colliding again. Business retries ("re-read and decide again") are loops in the use cases; this is
for adapters waiting out the infrastructure.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")


def delays(attempts: int, *, base: float, cap: float) -> Iterator[float]:
    """The waits between `attempts` tries (one fewer than the tries)."""
    for n in range(attempts - 1):
        yield random.uniform(0, min(cap, base * 2**n))


def retry(
    attempt: Callable[[], T],
    *,
    retry_on: Callable[[Exception], bool],
    attempts: int,
    base: float,
    cap: float,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`attempt()` until it returns; an error `retry_on` accepts is tried again until the tries are
    spent (then it is raised), any other error is raised at once."""
    waits = delays(attempts, base=base, cap=cap)
    while True:
        try:
            return attempt()
        except Exception as error:
            wait = next(waits, None) if retry_on(error) else None
            if wait is None:
                raise
        sleep(wait)
