"""The request path on Lambda SnapStart: a function's published version behind the alias `live`.

With SnapStart, Lambda initializes a function when a version is published, snapshots the
initialized environment and resumes new environments from it; it applies to published versions
(and the aliases that point at them) only, never to `$LATEST`, and not with provisioned
concurrency, EFS or more than 512 MB of ephemeral storage.
https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html

Every deploy whose function configuration changed publishes a new version (`currentVersion`: its
logical id is a hash of the version-locked properties, SnapStart's included) and moves the alias to
it; API Gateway's integrations, the authorizer and their invoke permissions name the alias, which
never stops existing, so no request meets a missing target. The version the alias left is deleted
once the update succeeds: each SnapStart version is cached, and charged for, while it exists.
https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda.Function.html#currentversion
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

ALIAS_NAME = "live"
_ALIAS_ID = "LiveAlias"
APPLY_ON = "PublishedVersions"


def snap_start_alias(function: lambda_.Function) -> lambda_.Alias:
    """`function` with SnapStart on, published, behind the alias `live` (created once)."""
    existing = function.node.try_find_child(_ALIAS_ID)
    if isinstance(existing, lambda_.Alias):
        return existing
    resource = function.node.default_child
    assert isinstance(resource, lambda_.CfnFunction)
    resource.snap_start = lambda_.CfnFunction.SnapStartProperty(apply_on=APPLY_ON)
    version = function.current_version
    version.apply_removal_policy(cdk.RemovalPolicy.DESTROY)
    return lambda_.Alias(function, _ALIAS_ID, alias_name=ALIAS_NAME, version=version)
