"""The cold-start harness measures what it says: a fresh import, then a first call against moto,
both in one new interpreter, so what a function loads lazily on its first call is charged to it.

Not a timed test: it asserts the shape and the provenance of the figures, never their size.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import ROOT, _ensure_template


def test_coldstart_reports_a_fresh_import_and_a_first_invocation_per_function(tmp_path: Path) -> None:
    out = tmp_path / "coldstart.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.coldstart",
            "--runs",
            "1",
            "--only",
            "SystemHealth,CatalogGetProduct",
            "--template",
            str(_ensure_template()),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.exists(), done.stderr[-3000:]
    report = json.loads(out.read_text())
    rows = {row["function"]: row for row in report["functions"]}
    assert set(rows) >= {"Floor", "FloorHttp"}
    health = next(row for name, row in rows.items() if name.startswith("SystemHealth"))
    for row in (rows["Floor"], rows["FloorHttp"], health):
        assert row["errors"] == [], row
        # Every ratio divides by the floor, so it runs before every other run.
        assert row["runs"] == (len(rows) - 1 if row is rows["Floor"] else 1)
        assert row["import_ms"] > 0
        assert row["first_invoke_ms"] >= 0
        if row["runs"] == 1:  # (medians of the parts need not add up to the median of the sums)
            assert abs(row["median_ms"] - row["import_ms"] - row["first_invoke_ms"]) < 0.2
        # A fresh interpreter: the import loaded boto3, Powertools and the handler itself.
        assert row["modules"] > 300, row
    assert health["status"] == 200
    # A function that creates its first AWS client on its first call pays for botocore's session
    # then: the first invocation runs in the fresh interpreter too, where the harness preloaded nothing.
    get_product = next(row for name, row in rows.items() if name.startswith("CatalogGetProduct"))
    assert get_product["errors"] == [], get_product
    assert get_product["status"] == 404
    assert get_product["invoke_imported"] > 0, get_product
    assert report["floor_ms"] == rows["Floor"]["median_ms"]
    assert report["floor_runs"] == rows["Floor"]["runs"] == 3
    assert report["floor_p10_ms"] <= report["floor_ms"] <= report["floor_p90_ms"]
    # Every run is in the report, each function run next to the floor run just before it.
    assert len(rows["Floor"]["samples_ms"]) == 3
    assert "floor_before_ms" not in rows["Floor"]
    assert get_product["samples_ms"] == [get_product["median_ms"]]
    assert get_product["floor_before_ms"][0] in rows["Floor"]["samples_ms"]
