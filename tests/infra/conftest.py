"""Synthesizes each stage once per session (in-process, offline) for the template tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

ROOT = Path(__file__).resolve().parents[2]


class Synth:
    def __init__(self, outdir: Path, stage: str) -> None:
        self.outdir = outdir
        self.stage = stage
        self.stack_name = f"Commerce-{stage}"
        self.template_path = outdir / f"{self.stack_name}.template.json"
        self.template: dict[str, Any] = json.loads(self.template_path.read_text())
        #: logical id of each AWS::CloudFormation::Stack -> (its template path, its template)
        self.nested: dict[str, tuple[Path, dict[str, Any]]] = {
            lid: (
                outdir / r["Metadata"]["aws:asset:path"],
                json.loads((outdir / r["Metadata"]["aws:asset:path"]).read_text()),
            )
            for lid, r in self.template["Resources"].items()
            if r["Type"] == "AWS::CloudFormation::Stack"
        }

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Resources of the main template only."""
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == resource_type}

    def all_resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Resources of the main template and of every nested stack, where a nested stack's
        parameters are replaced by what the parent passes (so references read as in one template)."""
        found = self.resources(resource_type)
        for lid, (_, nested) in self.nested.items():
            passed = self.template["Resources"][lid]["Properties"].get("Parameters", {})
            for key, resource in nested["Resources"].items():
                if resource["Type"] == resource_type:
                    found[key] = _substitute(resource, passed)
        return found

    def templates(self) -> list[tuple[Path, dict[str, Any]]]:
        return [(self.template_path, self.template), *self.nested.values()]


def _substitute(value: Any, parameters: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in parameters:
            return parameters[value["Ref"]]
        return {k: _substitute(v, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, parameters) for v in value]
    return value


def synthesize(outdir: Path, stage: str, extra_context: dict[str, Any] | None = None) -> Synth:
    from cdk.app import build_app

    defaults = json.loads((ROOT / "cdk.json").read_text())["context"]
    app = cdk.App(outdir=str(outdir), context={**defaults, "stage": stage, **(extra_context or {})})
    build_app(app)
    app.synth()
    return Synth(outdir, stage)


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("cdk-dev"), "dev")


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("cdk-prod"), "prod")


@pytest.fixture(scope="session", params=["dev", "prod"])
def stage(request: pytest.FixtureRequest) -> Synth:
    return request.getfixturevalue(request.param)
