"""Code assets ship CPython 3.13 bytecode (Lambda cannot write .pyc); the local stack keeps source."""

from __future__ import annotations

import importlib.util
import json
import platform
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_

from cdk import bytecode
from cdk.constructs.code import DISABLE_STAGING, code_asset
from tests.infra.bytecode import UNCHECKED_HASH, bytecode_gaps
from tests.infra.conftest import ROOT, Synth


def code_assets(synth: Synth) -> dict[str, Path]:
    """Every function's and project layer's asset folder, by asset path (the deps layers: their own test)."""
    assets = {}
    for resource_type in ("AWS::Lambda::Function", "AWS::Lambda::LayerVersion"):
        for logical_id, resource in synth.resources(resource_type).items():
            if not logical_id.startswith("PlatformDeps"):  # the deps layers (core, tokens, stripe)
                path = resource["Metadata"]["aws:asset:path"]
                assets[path] = synth.outdir / path
    return assets


def test_every_code_asset_ships_cpython_313_unchecked_hash_bytecode(dev: Synth) -> None:
    with_bytecode = bytecode.lambda_python() is not None
    assets = code_assets(dev)
    assert len(assets) >= 8  # one per service folder, plus the commerce layer
    for path, folder in assets.items():
        sources = list(folder.rglob("*.py"))
        assert sources, path
        assert not list(folder.rglob("*.md")), path
        if not with_bytecode:
            # No CPython 3.13 on this machine: source only, never another interpreter's bytecode.
            assert not list(folder.rglob("*.pyc")), path
            continue
        missing, wrong = bytecode_gaps(folder)
        assert not missing, (path, missing[:5])
        assert not wrong, (path, wrong[:5])
        # Only what Lambda can use: no bytecode from the developer's own interpreter, no docs.
        assert {p.name.split(".")[1] for p in folder.rglob("*.pyc")} == {"cpython-313"}, path


def synth_one_function(
    tmp_path: Path, context: dict[str, object], files: dict[str, Path] | None = None
) -> tuple[dict[str, object], Path]:
    app = cdk.App(outdir=str(tmp_path), context={"aws:cdk:enable-asset-metadata": True, **context})
    stack = cdk.Stack(app, "Code")
    lambda_.Function(
        stack,
        "Fn",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="system.health.lambda_handler",
        code=code_asset(stack, ROOT / "functions", exclude=["catalog", "identity", "*.md"], files=files),
    )
    app.synth()
    template = json.loads((tmp_path / "Code.template.json").read_text())
    function = next(r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    return function["Metadata"], tmp_path


def test_the_local_stack_synth_points_at_the_source_folder_for_live_edits(tmp_path: Path) -> None:
    metadata, _ = synth_one_function(tmp_path, {DISABLE_STAGING: True})
    assert metadata["aws:asset:path"] == str(ROOT / "functions")


def test_a_bundled_asset_leaves_out_what_exclude_names_at_any_depth(tmp_path: Path) -> None:
    metadata, outdir = synth_one_function(tmp_path, {})
    folder = outdir / str(metadata["aws:asset:path"])
    assert folder.parent == outdir
    names = {p.name for p in folder.iterdir()}
    assert "system" in names
    assert not names & {"catalog", "identity", "__pycache__"}
    assert not list(folder.rglob("*.md"))
    health = "system/health.py"
    assert (folder / health).read_bytes() == (ROOT / "functions" / health).read_bytes()


def stand_in_for_cpython_313(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the interpreter running the tests compile in CPython 3.13's place: what the build does
    with the bytecode does not depend on which CPython made it, so these tests run on any machine."""
    version = platform.python_version()
    monkeypatch.setattr(bytecode, "_find_lambda_python", lambda: (sys.executable, version))


def test_an_asset_built_without_bytecode_has_another_hash_so_a_deploy_replaces_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in_for_cpython_313(monkeypatch)
    compiled, compiled_outdir = synth_one_function(tmp_path / "compiled", {})
    assert list((compiled_outdir / str(compiled["aws:asset:path"])).rglob("*.pyc"))
    monkeypatch.setattr(bytecode, "_find_lambda_python", lambda: None)
    with pytest.warns(UserWarning, match="without bytecode"):
        source_only, outdir = synth_one_function(tmp_path / "source-only", {})
    assert source_only["aws:asset:path"] != compiled["aws:asset:path"]
    assert not list((outdir / str(source_only["aws:asset:path"])).rglob("*.pyc"))


def test_without_cpython_313_the_code_builds_as_source_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("VALUE = 1\n")
    monkeypatch.setattr(bytecode, "_find_lambda_python", lambda: None)
    with pytest.warns(UserWarning, match="without bytecode"):
        assert bytecode.main([str(tmp_path / "pkg")]) == 0
    assert (tmp_path / ".bytecode").read_text() == "none\n"
    assert not list(tmp_path.rglob("*.pyc"))


def test_the_layer_compiler_records_the_python_it_used_and_skips_mtime_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in_for_cpython_313(monkeypatch)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("VALUE = 1\n")
    assert bytecode.main([str(tmp_path / "pkg")]) == 0
    assert (tmp_path / ".bytecode").read_text() == f"{platform.python_version()}\n"
    compiled = tmp_path / "pkg" / "__pycache__" / f"mod.{sys.implementation.cache_tag}.pyc"
    header = compiled.read_bytes()[:8]
    assert header[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(header[4:8], "little") == UNCHECKED_HASH


def _function_asset(synth: Synth, handler: str) -> Path:
    function = next(
        r for r in synth.resources("AWS::Lambda::Function").values() if r["Properties"]["Handler"] == handler
    )
    return synth.outdir / function["Metadata"]["aws:asset:path"]


def test_the_swagger_function_ships_the_merged_openapi_document_and_no_other_function_does(
    dev: Synth,
) -> None:
    swagger = _function_asset(dev, "system.swagger.lambda_handler")
    shipped = swagger / "system" / "openapi.json"
    assert shipped.read_bytes() == (ROOT / "docs" / "openapi.json").read_bytes()
    # The health function keeps its own asset: the document (and its changes) are the swagger function's.
    health = _function_asset(dev, "system.health.lambda_handler")
    assert health != swagger
    assert not (health / "system" / "openapi.json").exists()


def test_a_file_added_from_outside_the_source_changes_the_asset_hash(tmp_path: Path) -> None:
    def synth_with(document: str, outdir: Path) -> str:
        extra = tmp_path / f"{outdir.name}.json"
        extra.write_text(document)
        metadata, _ = synth_one_function(outdir, {}, files={"system/openapi.json": extra})
        path = str(metadata["aws:asset:path"])
        assert (outdir / path / "system" / "openapi.json").read_text() == document
        return path

    # The source fingerprint cannot see the added file, so a new document must still make a new asset.
    assert synth_with('{"a": 1}', tmp_path / "one") != synth_with('{"a": 2}', tmp_path / "two")
