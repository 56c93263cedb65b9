"""The request path on SnapStart (issue 21): prod invokes the authorizer and every API route function
through the alias `live` of a published version with SnapStart on; dev stays on `$LATEST` unless
its `snapStart` setting is turned on; consumers stay on `$LATEST` in every stage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_

from cdk.constructs.snap_start import ALIAS_NAME, snap_start_alias
from tests.infra.conftest import Synth, synthesize

SNAP_START = {"ApplyOn": "PublishedVersions"}


@pytest.fixture(scope="module")
def dev_on(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    outdir = tmp_path_factory.mktemp("cdk-dev-snapstart")
    return synthesize(outdir, "dev", extra_context={"snapStart": "true"})


def _refs(value: Any) -> set[str]:
    """Every logical id a template value refers to (Ref and Fn::GetAtt)."""
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            found.add(value["Fn::GetAtt"][0])
        for item in value.values():
            found |= _refs(item)
    elif isinstance(value, list):
        for item in value:
            found |= _refs(item)
    return found


def invoked_targets(synth: Synth) -> dict[str, str]:
    """What API Gateway invokes: {integration or authorizer logical id: the logical id it names}."""
    resources = synth.template["Resources"]
    kinds = ("AWS::Lambda::Function", "AWS::Lambda::Alias")
    lambdas = {lid for lid, r in resources.items() if r["Type"] in kinds}
    targets: dict[str, str] = {}
    for lid, method in synth.resources("AWS::ApiGateway::Method").items():
        uri = method["Properties"].get("Integration", {}).get("Uri")
        if uri is not None:
            (targets[lid],) = _refs(uri) & lambdas
    for lid, authorizer in synth.resources("AWS::ApiGateway::Authorizer").items():
        (targets[lid],) = _refs(authorizer["Properties"]["AuthorizerUri"]) & lambdas
    return targets


def test_prod_invokes_every_route_and_the_authorizer_through_a_snap_start_alias(prod: Synth) -> None:
    # SnapStart applies to published versions and the aliases that point at them, never $LATEST.
    # https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html
    resources = prod.template["Resources"]
    targets = invoked_targets(prod)
    assert len(targets) == 21  # 19 routes of the contract, GET /swagger and the authorizer
    for user, alias_id in targets.items():
        alias = resources[alias_id]
        assert alias["Type"] == "AWS::Lambda::Alias", (user, alias_id)
        assert alias["Properties"]["Name"] == ALIAS_NAME
        function_id = alias["Properties"]["FunctionName"]["Ref"]
        version_id = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
        version = resources[version_id]
        assert version["Type"] == "AWS::Lambda::Version"
        assert version["Properties"]["FunctionName"] == {"Ref": function_id}
        function = resources[function_id]["Properties"]
        assert function["SnapStart"] == SNAP_START, function_id
        # Python 3.12+ on arm64 or x86_64; no EFS, no ephemeral storage over 512 MB.
        assert function["Runtime"] in {"python3.12", "python3.13"}
        assert "FileSystemConfigs" not in function
        assert function.get("EphemeralStorage", {}).get("Size", 512) <= 512
    # SnapStart cannot be combined with provisioned concurrency.
    for alias in prod.resources("AWS::Lambda::Alias").values():
        assert "ProvisionedConcurrencyConfig" not in alias["Properties"]


def test_api_gateway_may_invoke_only_the_alias(prod: Synth) -> None:
    # An alias is its own resource for permissions: a permission on the function does not let
    # API Gateway invoke the alias, and one on the alias is what its integration needs.
    # https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html
    resources = prod.template["Resources"]
    aliases = set(invoked_targets(prod).values())
    permissions = [
        p["Properties"]
        for p in prod.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]
    assert permissions
    named = set()
    for permission in permissions:
        (target,) = _refs(permission["FunctionName"])
        assert resources[target]["Type"] == "AWS::Lambda::Alias", permission
        named.add(target)
    assert named == aliases


def test_each_deploy_publishes_a_new_version_behind_a_stable_alias(tmp_path: Path) -> None:
    # The alias keeps its logical id (API Gateway's URI names it across deploys); the version's
    # logical id is a hash of the function's configuration, so a change publishes a new version,
    # the alias moves to it, and the old one is deleted after the update (no cached snapshot left).
    # https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda.Function.html#currentversion
    def synth(marker: str) -> dict[str, Any]:
        app = cdk.App(outdir=str(tmp_path / marker))
        stack = cdk.Stack(app, "S")
        function = lambda_.Function(
            stack,
            "Fn",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
            environment={"MARKER": marker},
        )
        assert snap_start_alias(function) is snap_start_alias(function)  # one alias per function
        return dict(app.synth().get_stack_by_name("S").template["Resources"])

    first, second = synth("one"), synth("two")

    def ids(template: dict[str, Any], kind: str) -> set[str]:
        return {lid for lid, r in template.items() if r["Type"] == kind}

    assert ids(first, "AWS::Lambda::Alias") == ids(second, "AWS::Lambda::Alias")
    assert ids(first, "AWS::Lambda::Version").isdisjoint(ids(second, "AWS::Lambda::Version"))
    for template in (first, second):
        (version,) = (r for r in template.values() if r["Type"] == "AWS::Lambda::Version")
        assert version["DeletionPolicy"] == "Delete"
        (function,) = (r for r in template.values() if r["Type"] == "AWS::Lambda::Function")
        assert function["Properties"]["SnapStart"] == SNAP_START


def test_dev_stays_on_latest_unless_its_setting_is_on(dev: Synth, dev_on: Synth) -> None:
    assert dev.resources("AWS::Lambda::Alias") == {}
    assert dev.resources("AWS::Lambda::Version") == {}
    for lid, function in dev.resources("AWS::Lambda::Function").items():
        assert "SnapStart" not in function["Properties"], lid
    assert set(invoked_targets(dev).values()) <= set(dev.resources("AWS::Lambda::Function"))
    # The same setting turns it on in dev: the same wiring as prod's.
    targets = invoked_targets(dev_on)
    assert {dev_on.template["Resources"][t]["Type"] for t in targets.values()} == {"AWS::Lambda::Alias"}


def test_consumers_stay_on_latest(prod: Synth) -> None:
    # docs/decisions.md (26): queue consumers and stream relays are not on the request path.
    resources = prod.template["Resources"]
    on_api = {resources[a]["Properties"]["FunctionName"]["Ref"] for a in invoked_targets(prod).values()}
    for lid, function in prod.resources("AWS::Lambda::Function").items():
        if lid not in on_api:
            assert "SnapStart" not in function["Properties"], lid
    for mapping in prod.resources("AWS::Lambda::EventSourceMapping").values():
        (target,) = _refs(mapping["Properties"]["FunctionName"])
        assert resources[target]["Type"] == "AWS::Lambda::Function", json.dumps(mapping)
        assert target not in on_api


def test_the_local_stack_serves_the_snap_start_template_through_its_aliases(dev_on: Synth) -> None:
    # With the setting on, the local stack reads the alias and version, routes each route to its
    # function and initializes those functions as SnapStart ones (local/_worker_main.py runs the
    # before-snapshot and after-restore hooks).
    from local.api_model import load_api
    from local.functions import load_functions
    from local.provision import Provisioner
    from local.template import Template

    template = Template.load(dev_on.template_path)
    provisioner = Provisioner(template, None)
    provisioner.placeholders_only()
    functions = load_functions(template, provisioner.resolver)
    api = load_api(template, provisioner.resolver, functions)
    assert api is not None
    routed = {route.function.logical_id for route in api.routes if route.function is not None}
    authorizers = {r.authorizer.function.logical_id for r in api.routes if r.authorizer is not None}
    assert len(routed) == 20  # 19 routes of the contract and GET /swagger
    assert len(authorizers) == 1
    for logical_id in routed | authorizers:
        assert functions[logical_id].snap_start, logical_id
    assert sum(spec.snap_start for spec in functions.values()) == 21
