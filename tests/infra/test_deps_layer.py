"""The deps layer is built for Lambda (arm64, CPython 3.13) without Docker: check every binary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.infra.bytecode import bytecode_gaps

LAYER = Path(__file__).resolve().parents[2] / "layers" / "deps" / "build" / "python"
EM_AARCH64 = 183


def compiled_distributions() -> list[tuple[str, list[str]]]:
    dists = []
    for wheel in sorted(LAYER.glob("*.dist-info/WHEEL")):
        text = wheel.read_text()
        if "Root-Is-Purelib: false" in text:
            dists.append((wheel.parent.name, re.findall(r"^Tag: (\S+)$", text, flags=re.MULTILINE)))
    return dists


def cp313_compatible(python_tag: str, abi_tag: str) -> bool:
    if python_tag == "cp313":
        return abi_tag in {"cp313", "abi3"}
    match = re.fullmatch(r"cp3(\d+)", python_tag)
    return abi_tag == "abi3" and match is not None and int(match.group(1)) <= 13


@pytest.fixture(scope="module")
def layer() -> Path:
    if not LAYER.is_dir():
        pytest.fail("the deps layer is not built: run `make layer` (make test does it first)")
    return LAYER


def test_layer_has_compiled_wheels(layer: Path) -> None:
    names = [name for name, _ in compiled_distributions()]
    assert any(name.startswith("cryptography-") for name in names)


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
    assert len(list(layer.rglob("*.py"))) > 500  # Stripe's SDK, requests, PyJWT, cryptography's Python half
    if built_with == "none":
        # No CPython 3.13 on this machine: source only, never another interpreter's bytecode.
        assert not list(layer.rglob("*.pyc"))
        return
    assert built_with.startswith("3.13."), built_with
    missing, wrong = bytecode_gaps(layer)
    assert not missing, missing[:5]
    assert not wrong, wrong[:5]
