"""Builds every stack of the app and attaches cdk-nag (AwsSolutions + Serverless) to all of them."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from cdk.config import stage_config
from cdk.stack import CommerceStack


def build_app(app: cdk.App) -> CommerceStack:
    stage = app.node.try_get_context("stage") or "dev"
    keys = (
        "senderDomain",
        "senderAddress",
        "apiGatewayCloudWatchRole",
        "backupCopyRegion",
        "warehousePrincipals",
        "corsOrigins",
        "snapStart",
    )
    config = stage_config(stage, {key: app.node.try_get_context(key) for key in keys})
    stack = CommerceStack(
        app,
        config.stack_name,
        config=config,
        description=f"Commerce serverless backend ({config.stage})",
    )
    cdk.Tags.of(stack).add("project", "commerce")
    cdk.Tags.of(stack).add("stage", config.stage)
    # cdk-nag 3.x runs as a validation plugin; an unacknowledged finding fails the synth.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(verbose=True), ServerlessChecks(verbose=True))
    return stack
