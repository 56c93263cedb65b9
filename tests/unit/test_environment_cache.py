"""commerce.environment_cache: facts kept per environment for at most their max age, which only the
scale model dilates (ENVIRONMENT_CACHE_AGE_FACTOR, local/limits.py)."""

from __future__ import annotations

import threading

import pytest

from commerce.environment_cache import AGE_FACTOR_VARIABLE, EnvironmentCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_lives_for_its_max_age_and_no_longer() -> None:
    clock = Clock()
    cache: EnvironmentCache[str, int] = EnvironmentCache(1.0, clock)
    cache.put("p", 3)
    clock.now += 1.0
    assert cache.get("p") == 3
    clock.now += 0.01
    assert cache.get("p") is None


def test_each_thread_keeps_its_own_entries_as_each_environment_does() -> None:
    cache: EnvironmentCache[str, int] = EnvironmentCache(60.0)
    cache.put("p", 1)
    seen: list[int | None] = []
    thread = threading.Thread(target=lambda: seen.append(cache.get("p")))
    thread.start()
    thread.join()
    assert seen == [None]
    assert cache.get("p") == 1


def test_the_scale_model_dilates_every_age_by_its_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(AGE_FACTOR_VARIABLE, "10000")
    clock = Clock()
    cache: EnvironmentCache[str, int] = EnvironmentCache(0.1, clock)
    assert cache.max_age_seconds == pytest.approx(1000.0)
    cache.put("p", 0)
    clock.now += 999.0
    assert cache.get("p") == 0
    clock.now += 2.0
    assert cache.get("p") is None


@pytest.mark.parametrize("value", ["0.5", "0", "-3", "nan", "inf", "soon", ""])
def test_a_factor_that_would_shorten_or_break_an_age_counts_as_one(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(AGE_FACTOR_VARIABLE, value)
    assert EnvironmentCache(2.0).max_age_seconds == 2.0
