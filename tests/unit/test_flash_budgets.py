"""`make flash` fails when it should: each invariant and budget of benchmarks/flash.py, on made-up
phase results (the benchmark itself is never part of `make test`: its numbers depend on the machine)."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.flash import invariants, summarize

PHASES = ["unsharded", "sharded", "limits off"]


def phase(name: str, **overrides: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "phase": name,
        "round": 1,
        "orders": 40,
        "units": 5,
        "accepted": 40,
        "terminal": 40,
        "confirmed": 5,
        "charges": 5,
        "charged_twice": 0,
        "left": 0,
        "oversold": 0,
        "dead_letters": 0,
        "charges_within_limit": True,
        "charges_per_s": 0.07,
        "target_per_s": 0.5,
        "sold_per_s": {"unsharded": 0.05, "sharded": 0.4, "limits off": 1.0}[name],
        "sustained_per_s": {"unsharded": 0.1, "sharded": 0.45, "limits off": 1.4}[name],
    }
    return {**result, **overrides}


def test_a_sale_that_keeps_every_invariant_and_budget_passes() -> None:
    results = [phase(name) for name in PHASES]
    assert all(invariants(r) == [] for r in results)
    summary = summarize(results, PHASES)
    assert summary["broken"] == []
    assert summary["ratio"] == pytest.approx(8.0)
    assert summary["control_over_offered"] == pytest.approx(2.8)


@pytest.mark.parametrize(
    ("overrides", "broken"),
    [
        ({"confirmed": 6, "left": 0}, "confirmed 6, units 5, charges 5"),  # a unit sold twice
        ({"confirmed": 4, "charges": 4, "left": 0}, "stock: 4 sold + 0 left != 5"),  # a unit lost
        ({"charges": 6}, "charges 6"),
        ({"charged_twice": 1}, "charged twice"),
        ({"dead_letters": 2}, "2 dead letters"),
        ({"terminal": 39}, "not terminal"),
        ({"accepted": 39, "terminal": 39}, "never accepted"),
        ({"charges_within_limit": False}, "Stripe's scaled rate"),
    ],
)
def test_each_broken_invariant_is_reported(overrides: dict[str, Any], broken: str) -> None:
    found = invariants(phase("sharded", **overrides))
    assert any(broken in line for line in found), found
    assert summarize([phase("unsharded"), phase("sharded", **overrides)], PHASES[:2])["broken"]


def test_the_unsharded_baselines_tail_is_a_figure_not_a_failure() -> None:
    assert invariants(phase("unsharded", terminal=36)) == []
    assert invariants(phase("sharded", terminal=36)) == ["4 orders not terminal"]


def test_sharding_that_does_not_pay_five_times_breaks_the_budget() -> None:
    summary = summarize([phase("unsharded"), phase("sharded", sold_per_s=0.2)], PHASES[:2])
    assert summary["broken"] == ["sharded/unsharded sold rate 4.0x < 5x"]


def test_a_stand_in_that_cannot_outrun_the_offered_rate_breaks_the_budget() -> None:
    results = [phase("unsharded"), phase("sharded"), phase("limits off", sustained_per_s=0.6)]
    assert summarize(results, PHASES)["broken"] == ["limits off decided 1.2x the offered rate < 2x"]
