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
from cdk.deps_layers import BUILD_DIR, GROUPS, RUNTIME_IMPORTS, groups_for
from tests.e2e.conftest import _ensure_template


@pytest.fixture(scope="module")
def primed() -> dict[str, dict[str, Any]]:
    return request_path_runs(_ensure_template(), primed=True)


def test_every_request_path_function_is_primed(primed: dict[str, dict[str, Any]]) -> None:
    assert len(primed) == 21  # 19 routes of the contract, GET /swagger and the authorizer
    for function, run in primed.items():
        assert "error" not in run, (function, run)
        assert run["hooks"] == 2, function  # commerce.snapstart's before-snapshot and after-restore hooks


def test_after_priming_the_first_invocation_imports_no_module_and_creates_no_client(
    primed: dict[str, dict[str, Any]],
) -> None:
    for function, run in primed.items():
        assert run["new_modules"] == [], (function, run["new_modules"])
        assert run["new_clients"] == [], (function, run["new_clients"])


def test_after_priming_the_first_invocation_resolves_no_request_or_response_shape(
    primed: dict[str, dict[str, Any]],
) -> None:
    # Priming calls every operation our code calls on a client (answered before it is sent), so the
    # first real call finds its input and output shapes resolved: botocore's lazy model work, which
    # costs a first call several milliseconds (a TransactWriteItems' shapes), is in the snapshot.
    for function, run in primed.items():
        assert run["new_shapes"] == [], (function, run["new_shapes"])


def test_after_priming_the_first_invocation_reads_no_source_file(primed: dict[str, dict[str, Any]]) -> None:
    # An error on a traced call makes X-Ray record a stack, which reads each frame's source file
    # (linecache) the first time: priming answers one error per client and reads those files.
    for function, run in primed.items():
        assert run["new_source_files"] == [], (function, run["new_source_files"])


def test_after_priming_the_first_invocation_opens_no_file_a_warm_one_does_not(
    primed: dict[str, dict[str, Any]],
) -> None:
    # Configuration in the code asset (GET /swagger's merged OpenAPI document) is read before the
    # snapshot; what every call reads (Powertools' Swagger UI assets) is the warm call's cost too.
    for function, run in primed.items():
        assert run["new_files"] == [], (function, run["new_files"])


def test_unprimed_the_first_invocation_loads_modules_and_clients_lazily() -> None:
    # Without SnapStart nothing changes: lazy as before, so the first call is where the work is.
    unprimed = request_path_runs(_ensure_template(), primed=False, only="CatalogGetProduct")
    get_product = next(run for name, run in unprimed.items() if name.startswith("CatalogGetProduct"))
    assert "error" not in get_product, get_product
    assert "botocore.session" in get_product["new_modules"]
    assert get_product["new_clients"] == ["dynamodb"]
    assert "dynamodb:GetItem:output_shape" in get_product["new_shapes"]  # the measure sees the work
    assert "hooks" not in get_product


def _shipped_by() -> dict[str, str]:
    """Top-level module name -> the dependency group whose layer ships it."""
    owners: dict[str, str] = {}
    for group in GROUPS:
        for entry in (BUILD_DIR / group / "python").iterdir():
            if entry.name.endswith(".dist-info") or entry.name in ("__pycache__", "bin"):
                continue
            owners[entry.name.split(".")[0]] = group
    return owners


def test_no_function_loads_a_module_of_a_layer_it_is_not_given(primed: dict[str, dict[str, Any]]) -> None:
    # The layers a function gets are derived from its imports at synth (cdk/deps_layers.py); what it
    # really loads, its first call and the priming of everything it may need included, must agree.
    consumers = request_path_runs(_ensure_template(), primed=False, kinds=("consumer",))
    owners = _shipped_by()
    assert len(consumers) >= 14
    for function, run in {**primed, **consumers}.items():
        assert "error" not in run, (function, run)
        given = set(groups_for(run["handler"].rpartition(".")[0]))
        for name in run["top_level"]:
            group = owners.get(name)
            # certifi: botocore imports it when it is there, else uses its own CA bundle.
            if group is not None and name not in RUNTIME_IMPORTS and name != "certifi":
                assert group in given, (function, name, group, given)
