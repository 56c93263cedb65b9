"""The cold-start harness measures what it says: a fresh import, then a first call against moto.

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
            "SystemHealth",
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
        assert row["runs"] == 1
        assert row["import_ms"] > 0
        assert row["first_invoke_ms"] >= 0
        assert abs(row["median_ms"] - row["import_ms"] - row["first_invoke_ms"]) < 0.2
        # A fresh interpreter: the import loaded boto3, Powertools and the handler itself.
        assert row["modules"] > 300, row
    assert health["status"] == 200
    # Only the moto parent could have preloaded these; the import step never sees them.
    assert "commerce" not in health["invoke_preloaded"]
    assert report["floor_ms"] == rows["Floor"]["median_ms"]
