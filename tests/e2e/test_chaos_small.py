"""A small `make chaos`: 20 orders under 5% injected faults keep every invariant of the saga."""

from __future__ import annotations

from tests.e2e.conftest import _ensure_template
from tools.chaos import chaos, print_report


def test_orders_under_injected_faults_and_duplicate_deliveries_keep_every_invariant() -> None:
    report = chaos(orders=20, rate=0.05, seed=7, deadline_s=420, threads=4, template=_ensure_template())
    print_report(report)

    injected = sum(report["faults_injected"].values()) + sum(report["stripe_faults"].values())
    assert injected > 0, "the run injected no fault, so it proves nothing"
    assert report["placed"] == 20
    broken = [row for row in report["invariants"] if not row["ok"]]
    assert not broken, broken
