"""The deps layers are built for Lambda (arm64, CPython 3.13) without Docker: check every binary;
each function gets the layers of the groups its code imports, and only those (cdk/deps_layers.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cdk.deps_layers import GROUPS, groups_for
from tests.infra.bytecode import bytecode_gaps
from tests.infra.conftest import Synth

BUILD = Path(__file__).resolve().parents[2] / "layers" / "deps" / "build"
GROUP_DIRS = [BUILD / group / "python" for group in GROUPS]
EM_AARCH64 = 183


def compiled_distributions() -> list[tuple[str, list[str]]]:
    dists = []
    for wheel in sorted(w for group in GROUP_DIRS for w in group.glob("*.dist-info/WHEEL")):
        text = wheel.read_text()
        if "Root-Is-Purelib: false" in text:
            dists.append((wheel.parent.name, re.findall(r"^Tag: (\S+)$", text, flags=re.MULTILINE)))
    return dists


def cp313_compatible(python_tag: str, abi_tag: str) -> bool:
    if python_tag == "cp313":
        return abi_tag in {"cp313", "abi3"}
    match = re.fullmatch(r"cp3(\d+)", python_tag)
    return abi_tag == "abi3" and match is not None and int(match.group(1)) <= 13


@pytest.fixture(scope="module", params=list(GROUPS))
def layer(request: pytest.FixtureRequest) -> Path:
    path = BUILD / request.param / "python"
    if not path.is_dir():
        pytest.fail("the deps layers are not built: run `make layer` (make test does it first)")
    return path


def test_layers_have_compiled_wheels() -> None:
    names = [name for name, _ in compiled_distributions()]
    assert any(name.startswith("cryptography-") for name in names)
    assert any(name.startswith("pydantic_core-") for name in names)


def test_every_compiled_wheel_targets_aarch64_cp313(layer: Path) -> None:
    for name, tags in compiled_distributions():
        assert tags, name
        for tag in tags:
            python_tag, abi_tag, platform_tag = tag.split("-")
            assert platform_tag.endswith("_aarch64"), (name, tag)
            assert cp313_compatible(python_tag, abi_tag), (name, tag)


def test_every_shared_object_is_an_aarch64_elf(layer: Path) -> None:
    shared_objects = list(layer.rglob("*.so")) + list(layer.rglob("*.so.*"))
    assert shared_objects
    for path in shared_objects:
        header = path.read_bytes()[:20]
        assert header[:4] == b"\x7fELF", path
        assert int.from_bytes(header[18:20], "little") == EM_AARCH64, path
        if ".cpython-" in path.name:
            assert "cpython-313-aarch64" in path.name, path


def test_every_module_ships_cpython_313_bytecode_lambda_need_not_compile(layer: Path) -> None:
    # Lambda cannot write .pyc files under /opt: whatever the layer lacks is compiled on every cold start.
    built_with = (layer.parent / ".bytecode").read_text().strip()
    assert len(list(layer.rglob("*.py"))) > 50
    if built_with == "none":
        # No CPython 3.13 on this machine: source only, never another interpreter's bytecode.
        assert not list(layer.rglob("*.pyc"))
        return
    assert built_with.startswith("3.13."), built_with
    missing, wrong = bytecode_gaps(layer)
    assert not missing, missing[:5]
    assert not wrong, wrong[:5]


def test_each_group_ships_its_own_distributions_once() -> None:
    # Layers are extracted into /opt in order, a later one overwriting a file of an earlier one:
    # no distribution may be in two layers (two versions of one file), nor in none that needs it.
    seen: dict[str, str] = {}
    for group in GROUPS:
        for info in (BUILD / group / "python").glob("*.dist-info"):
            name = info.name.split("-")[0].lower()
            assert name not in seen, (name, seen.get(name), group)
            seen[name] = group
    assert {"stripe", "requests"} <= {n for n, g in seen.items() if g == "stripe"}
    assert {"pyjwt", "cryptography"} <= {n for n, g in seen.items() if g == "tokens"}
    assert {"aws_lambda_powertools", "pydantic", "snapshot_restore_py"} <= {
        n for n, g in seen.items() if g == "core"
    }
    # What only botocore needed (the runtime brings both) is left out.
    assert not {"python_dateutil", "six", "botocore", "boto3", "s3transfer"} & set(seen)


def test_every_function_gets_the_layers_of_what_it_imports(dev: Synth) -> None:
    layer_ids = {
        lid: r["Metadata"]["aws:cdk:path"].split("/")[-2]
        for lid, r in dev.resources("AWS::Lambda::LayerVersion").items()
    }
    by_group = {"core": "DepsLayer", "tokens": "DepsTokensLayer", "stripe": "DepsStripeLayer"}
    stripe_users, token_users = set(), set()
    for lid, function in dev.resources("AWS::Lambda::Function").items():
        handler_module = function["Properties"]["Handler"].rpartition(".")[0]
        given = [layer_ids[layer["Ref"]] for layer in function["Properties"]["Layers"]]
        expected = [by_group[group] for group in groups_for(handler_module)]
        # No two layers ship the same file (test above), so their order does not matter.
        assert sorted(given) == sorted([*expected, "CommerceLayer"]), (lid, given)
        if "DepsStripeLayer" in given:
            stripe_users.add(handler_module)
        if "DepsTokensLayer" in given:
            token_users.add(handler_module)
    # Stripe only where payments talks to it; PyJWT and cryptography only where tokens are made or checked.
    assert stripe_users == {
        "payments.charge_order", "payments.refund_order", "payments.record_order", "payments.stripe_webhook"
    }  # fmt: skip
    assert {m.split(".")[0] for m in token_users} == {"identity"}
    assert "identity.authorizer" in token_users
