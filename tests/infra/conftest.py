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

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == resource_type}


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
