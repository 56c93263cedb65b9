"""The SAM-ready copy of the synthesized template (local/sam/template.py): host architecture, the
template's own layers only (the deps layer, Powertools included, built for the host), endpoint
variables declared; the deployed template unchanged, nothing declared twice."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from local.sam.template import LOCAL_ENDPOINT_VARIABLES, sam_ready
from tests.infra.conftest import Synth


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Lambda::Function"}


def _deps_layers(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for k, r in template["Resources"].items() if k.startswith("PlatformDepsLayer")]


@pytest.fixture(scope="module")
def deps_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sam-layers") / "deps-x86_64"


@pytest.fixture(scope="module")
def ready(dev: Synth, deps_layer: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    original = copy.deepcopy(dev.template)
    return original, sam_ready(dev.template, dev.outdir, "x86_64", deps_layer)


def test_every_function_runs_on_the_host_architecture_with_the_templates_own_layers(
    ready: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, sam = ready
    functions = _functions(sam)
    assert len(functions) >= 35
    layers = {k for k, r in sam["Resources"].items() if r["Type"] == "AWS::Lambda::LayerVersion"}
    for logical_id, function in functions.items():
        props = function["Properties"]
        assert props["Architectures"] == ["x86_64"], logical_id
        # SAM would download a layer given by ARN (an AWS account and the network): every layer is one
        # of the template's own assets (Powertools is in the deps layer, decision 14).
        assert props["Layers"], logical_id
        assert all(
            isinstance(layer, dict) and set(layer) == {"Ref"} and layer["Ref"] in layers
            for layer in props["Layers"]
        ), logical_id
        assert "arn:aws:lambda" not in json.dumps(props["Layers"]), logical_id
        # The metadata SAM reads the code from is an absolute path to the synthesized asset.
        assert Path(function["Metadata"]["aws:asset:path"]).is_absolute(), logical_id


def test_endpoint_variables_are_declared_once_and_existing_ones_are_kept(
    ready: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    original, sam = ready
    for logical_id, function in _functions(sam).items():
        variables = function["Properties"]["Environment"]["Variables"]
        before = _functions(original)[logical_id]["Properties"].get("Environment", {}).get("Variables", {})
        # `--env-vars` only sets variables a function declares: the local endpoints must be declared.
        assert set(LOCAL_ENDPOINT_VARIABLES) <= set(variables), logical_id
        assert {k: variables[k] for k in before} == before, logical_id  # nothing redeclared or changed


def test_the_deps_layer_is_the_host_architecture_build(
    ready: tuple[dict[str, Any], dict[str, Any]], deps_layer: Path
) -> None:
    _, sam = ready
    deps = _deps_layers(sam)
    assert len(deps) == 1
    assert deps[0]["Metadata"]["aws:asset:path"] == str(deps_layer.resolve())
    assert deps[0]["Properties"]["CompatibleArchitectures"] == ["x86_64"]


def test_an_arm64_copy_keeps_the_deployed_deps_layer(dev: Synth) -> None:
    sam = sam_ready(dev.template, dev.outdir, "arm64", None)

    (deployed,) = _deps_layers(dev.template)
    (deps,) = _deps_layers(sam)
    assert deps["Metadata"]["aws:asset:path"] == str(
        (dev.outdir / deployed["Metadata"]["aws:asset:path"]).resolve()
    )
    assert all(f["Properties"]["Architectures"] == ["arm64"] for f in _functions(sam).values())


def test_the_deployed_template_is_unchanged(ready: tuple[dict[str, Any], dict[str, Any]], dev: Synth) -> None:
    original, _ = ready
    assert dev.template == original
    for function in _functions(dev.template).values():
        assert function["Properties"]["Architectures"] == ["arm64"]
        assert "AWS_ENDPOINT_URL" not in function["Properties"]["Environment"]["Variables"]
