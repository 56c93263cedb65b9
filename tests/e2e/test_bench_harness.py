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


def test_coldstart_pairs_each_function_with_the_floor_of_its_kind(tmp_path: Path) -> None:
    out = tmp_path / "coldstart.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.coldstart",
            "--rounds",
            "1",
            "--only",
            "SystemHealth,CatalogGetProduct,IdentityAuthorizer",
            "--template",
            str(_ensure_template()),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.exists(), done.stderr[-3000:]
    report = json.loads(out.read_text())
    rows = {row["function"]: row for row in report["functions"]}
    # Only the floor of a kind that was measured is run and reported.
    assert {name for name in rows if name.startswith("Floor")} == {"FloorHttp", "FloorAuthorizer"}
    # The authorizer is compared with the authorizer floor (PyJWT refusing a token), and both refuse.
    authorizer = next(row for name, row in rows.items() if name.startswith("IdentityAuthorizer"))
    assert authorizer["floor"] == "FloorAuthorizer", authorizer
    assert authorizer["status"] == rows["FloorAuthorizer"]["status"] == "deny", rows["FloorAuthorizer"]
    assert rows["FloorAuthorizer"]["errors"] == []
    health = next(row for name, row in rows.items() if name.startswith("SystemHealth"))
    get_product = next(row for name, row in rows.items() if name.startswith("CatalogGetProduct"))
    # Both are API routes: compared with the HTTP floor, run before and after each (floor, f, floor, g).
    for row in (health, get_product):
        assert row["kind"] == "http", row
        assert row["floor"] == "FloorHttp", row
        assert row["errors"] == [], row
        assert row["runs"] == 1
        assert row["pairs"] == 1
        assert abs(row["median_ms"] - row["import_ms"] - row["first_invoke_ms"]) < 0.2
        assert row["modules"] > 300, row  # a fresh interpreter: Powertools, pydantic, the handler
        assert row["ratio_q1"] <= row["ratio"] <= row["ratio_q3"]
    assert rows["FloorHttp"]["runs"] == 3
    assert report["floor_runs"]["FloorHttp"] == 3
    assert health["status"] == 200
    # Unprimed, a function loads on its first call what it uses lazily (its client, botocore's session).
    assert get_product["status"] == 404
    assert get_product["invoke_imported"] > 0, get_product
    # Primed (SnapStart), its first call loads nothing new; the run is paired with warm calls.
    for row in (health, get_product):
        primed = row["primed"]
        assert primed["runs"] == 1
        assert primed["new_modules"] == [], primed
        assert primed["new_clients"] == [], primed
        assert primed["prime_ms"] > 0
        assert primed["warm_ms"] > 0
