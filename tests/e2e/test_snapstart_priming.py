"""SnapStart priming loads what the first call used to load: for every function on the request path
(the authorizer and every API route, SnapStart in prod), a process initialized as Lambda does for a
snapshot (init type `snap-start`, the before-snapshot hooks, then the after-restore hooks) imports
no new module and creates no new AWS client on its first invocation; the same function initialized
on demand does both (which is what priming moves before the snapshot).

Each run is a fresh interpreter against the template's resources in moto (benchmarks/coldstart.py).
https://docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-python.html
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.coldstart import request_path_runs
from tests.e2e.conftest import _ensure_template


@pytest.fixture(scope="module")
def primed() -> dict[str, dict[str, Any]]:
    return request_path_runs(_ensure_template(), primed=True)


def test_every_request_path_function_is_primed(primed: dict[str, dict[str, Any]]) -> None:
    assert len(primed) == 20  # 19 routes and the authorizer
    for function, run in primed.items():
        assert "error" not in run, (function, run)
        assert run["hooks"] == 2, function  # commerce.snapstart's before-snapshot and after-restore hooks


def test_after_priming_the_first_invocation_imports_no_module_and_creates_no_client(
    primed: dict[str, dict[str, Any]],
) -> None:
    for function, run in primed.items():
        assert run["new_modules"] == [], (function, run["new_modules"])
        assert run["new_clients"] == [], (function, run["new_clients"])


def test_unprimed_the_first_invocation_loads_modules_and_clients_lazily() -> None:
    # Without SnapStart nothing changes: lazy as before, so the first call is where the work is.
    unprimed = request_path_runs(_ensure_template(), primed=False, only="CatalogGetProduct")
    get_product = next(run for name, run in unprimed.items() if name.startswith("CatalogGetProduct"))
    assert "error" not in get_product, get_product
    assert len(get_product["new_modules"]) > 20
    assert get_product["new_clients"] == ["dynamodb"]
    assert "hooks" not in get_product
