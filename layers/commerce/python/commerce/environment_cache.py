"""A small time-limited cache per execution environment, for facts worth re-reading only now and then.

    prices = EnvironmentCache[str, dict](max_age_seconds=1.0)
    found = prices.get(product_id)            # None when absent or older than max_age
    prices.put(product_id, {"name": ..., "price": ...})

Used where one hot item would otherwise be read by every request of a flash sale (a sharded
product's price on `POST /orders`, its shard count and the shards seen empty in the reserve
consumer). Each entry is as old as its `max_age` at most; callers document what that staleness
means for them.

A Lambda execution environment runs one invocation at a time on one thread, so the cache is kept
per thread: in Lambda that is per environment, and where several environments are modelled as
threads of one process (tests driving consumers from several threads), each keeps its own, as it
would on AWS.

`ENVIRONMENT_CACHE_AGE_FACTOR` (default 1; never set on AWS) multiplies every max age. The scale
model (`make flash`, `python -m local serve --limits`) sets it to 1 / scale: quotas there are scaled
down by `scale` but an environment's own pace is not, so without it each environment's periodic
re-reads (one a second for a hot price) would weigh 1 / scale times more against a scaled
partition than they do at full scale (docs/capacity.md, "Checked on the scale model").
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")
MAX_ENTRIES = 1024
AGE_FACTOR_VARIABLE = "ENVIRONMENT_CACHE_AGE_FACTOR"


def age_factor() -> float:
    """What max ages are multiplied by in this environment: `ENVIRONMENT_CACHE_AGE_FACTOR`, else 1
    (a value that is not a number >= 1 counts as 1: the cache never holds facts for less long than
    its callers wrote)."""
    try:
        factor = float(os.environ.get(AGE_FACTOR_VARIABLE, "1"))
    except ValueError:
        return 1.0
    return factor if factor >= 1 and factor != float("inf") else 1.0


class EnvironmentCache(Generic[K, V]):
    def __init__(self, max_age_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age_seconds = max_age_seconds * age_factor()
        self._clock = clock
        self._local = threading.local()

    def _entries(self) -> dict[K, tuple[float, V]]:
        entries: dict[K, tuple[float, V]] | None = getattr(self._local, "entries", None)
        if entries is None:
            entries = self._local.entries = {}
        return entries

    def get(self, key: K) -> V | None:
        found = self._entries().get(key)
        if found is None:
            return None
        stamp, value = found
        if self._clock() - stamp > self.max_age_seconds:
            del self._entries()[key]
            return None
        return value

    def put(self, key: K, value: V) -> None:
        entries = self._entries()
        if len(entries) >= MAX_ENTRIES and key not in entries:
            entries.pop(next(iter(entries)))  # the oldest insertion goes first
        entries[key] = (self._clock(), value)

    def forget(self, key: K) -> None:
        self._entries().pop(key, None)

    def clear(self) -> None:
        self._entries().clear()
