"""Per-stage settings: `dev` is cheap and destroyable, `prod` is retained, alarmed and guarded."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_logs as logs

ROOT = Path(__file__).resolve().parent.parent
POWERTOOLS_LAYER_VERSION = 27  # AWSLambdaPowertoolsPythonV3-python313-arm64


@dataclass(frozen=True)
class StageConfig:
    stage: str
    log_retention: logs.RetentionDays
    removal_policy: cdk.RemovalPolicy
    deletion_protection: bool
    api_rate_limit: int
    api_burst_limit: int
    auth_rate_limit: int
    auth_burst_limit: int
    version: str

    @property
    def stack_name(self) -> str:
        return f"Commerce-{self.stage}"

    @property
    def is_prod(self) -> bool:
        return self.stage == "prod"


def _version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def stage_config(stage: str) -> StageConfig:
    if stage == "prod":
        return StageConfig(
            stage="prod",
            log_retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            deletion_protection=True,
            api_rate_limit=500,
            api_burst_limit=1000,
            auth_rate_limit=50,
            auth_burst_limit=100,
            version=_version(),
        )
    if stage == "dev":
        return StageConfig(
            stage="dev",
            log_retention=logs.RetentionDays.TWO_WEEKS,
            removal_policy=cdk.RemovalPolicy.DESTROY,
            deletion_protection=False,
            api_rate_limit=100,
            api_burst_limit=200,
            auth_rate_limit=20,
            auth_burst_limit=40,
            version=_version(),
        )
    raise ValueError(f"unknown stage {stage!r}: use -c stage=dev or -c stage=prod")
