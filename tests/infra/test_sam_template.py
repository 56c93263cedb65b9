"""The SAM-ready copy of the synthesized template (local/sam/template.py): host architecture, the
template's own layers only (the deps layers, Powertools included, built for the host), endpoint
variables declared; the deployed template unchanged, nothing declared twice."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cdk.deps_layers import GROUPS
from local.sam.template import LOCAL_ENDPOINT_VARIABLES, deps_group, sam_ready
from tests.infra.conftest import Synth


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Lambda::Function"}


def _deps_layers(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{group: its deps layer} (cdk/deps_layers.py: one layer per dependency group)."""
    layers = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Lambda::LayerVersion":
            group = deps_group(resource.get("Metadata", {}).get("aws:cdk:path", ""))
            if group is not None:
                layers[group] = resource
    return layers


@pytest.fixture(scope="module")
def deps_layers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sam-layers") / "deps-x86_64"


@pytest.fixture(scope="module")
def ready(dev: Synth, deps_layers: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    original = copy.deepcopy(dev.template)
    return original, sam_ready(dev.template, dev.outdir, "x86_64", deps_layers)


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


def test_every_deps_layer_is_the_host_architecture_build_of_its_group(
    ready: tuple[dict[str, Any], dict[str, Any]], deps_layers: Path
) -> None:
    _, sam = ready
    deps = _deps_layers(sam)
    assert set(deps) == set(GROUPS)  # core, tokens, stripe
    for group, layer in deps.items():
        assert layer["Metadata"]["aws:asset:path"] == str((deps_layers / group).resolve()), group
        assert layer["Properties"]["CompatibleArchitectures"] == ["x86_64"], group
    # The commerce layer (pure Python) is used as synthesized.
    commerce = next(
        r
        for r in sam["Resources"].values()
        if r.get("Metadata", {}).get("aws:cdk:path", "").endswith("/CommerceLayer/Resource")
    )
    assert not commerce["Metadata"]["aws:asset:path"].startswith(str(deps_layers))


def test_a_function_keeps_the_layers_of_its_groups(ready: tuple[dict[str, Any], dict[str, Any]]) -> None:
    original, sam = ready
    for logical_id, function in _functions(sam).items():
        assert function["Properties"]["Layers"] == _functions(original)[logical_id]["Properties"]["Layers"]


def test_an_arm64_copy_keeps_the_deployed_deps_layers(dev: Synth) -> None:
    sam = sam_ready(dev.template, dev.outdir, "arm64", None)

    deployed = _deps_layers(dev.template)
    deps = _deps_layers(sam)
    assert set(deps) == set(deployed) == set(GROUPS)
    for group, layer in deps.items():
        assert layer["Metadata"]["aws:asset:path"] == str(
            (dev.outdir / deployed[group]["Metadata"]["aws:asset:path"]).resolve()
        ), group
    assert all(f["Properties"]["Architectures"] == ["arm64"] for f in _functions(sam).values())


@pytest.mark.parametrize(
    ("cdk_path", "group"),
    [
        ("Commerce-dev/Platform/DepsLayer/Resource", "core"),
        ("Commerce-dev/Platform/DepsTokensLayer/Resource", "tokens"),
        ("Commerce-dev/Platform/DepsStripeLayer/Resource", "stripe"),
        ("Commerce-dev/Platform/CommerceLayer/Resource", None),
        ("Commerce-dev/Platform/DepsLayer/Other", None),
    ],
)
def test_deps_group_reads_the_group_from_the_layers_construct_path(cdk_path: str, group: str | None) -> None:
    assert deps_group(cdk_path) == group


def test_the_host_build_needs_every_group_a_template_uses(dev: Synth, tmp_path: Path) -> None:
    from local.sam.template import main

    layers = tmp_path / "deps-x86_64"
    (layers / "core" / "python").mkdir(parents=True)
    source = dev.template_path
    out = tmp_path / "template.json"
    assert (
        main(["--source", str(source), "--out", str(out), "--arch", "x86_64", "--deps-layers", str(layers)])
        == 2
    )
    for group in GROUPS:
        (layers / group / "python").mkdir(parents=True, exist_ok=True)
    assert (
        main(["--source", str(source), "--out", str(out), "--arch", "x86_64", "--deps-layers", str(layers)])
        == 0
    )
    assert set(_deps_layers(json.loads(out.read_text()))) == set(GROUPS)


def test_the_deployed_template_is_unchanged(ready: tuple[dict[str, Any], dict[str, Any]], dev: Synth) -> None:
    original, _ = ready
    assert dev.template == original
    for function in _functions(dev.template).values():
        assert function["Properties"]["Architectures"] == ["arm64"]
        assert "AWS_ENDPOINT_URL" not in function["Properties"]["Environment"]["Variables"]
