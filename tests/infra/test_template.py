"""Assertions on the synthesized template: runtime, assets, outputs, API and gateway responses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from cdk.deps_layers import GROUPS, groups_for
from tests.infra.conftest import ROOT, Synth


def test_every_function_runs_python313_on_arm64_with_tracing(stage: Synth) -> None:
    functions = stage.resources("AWS::Lambda::Function")
    assert functions
    for logical_id, function in functions.items():
        props = function["Properties"]
        assert props["Runtime"] == "python3.13", logical_id
        assert props["Architectures"] == ["arm64"], logical_id
        assert props["TracingConfig"] == {"Mode": "Active"}, logical_id
        assert props["LoggingConfig"]["LogFormat"] == "JSON", logical_id


def test_every_function_skips_the_pydantic_plugin_scan_at_cold_start(stage: Synth) -> None:
    """No pydantic plugins are used; without this pydantic reads every distribution's entry points."""
    functions = stage.resources("AWS::Lambda::Function")
    ours = {
        lid: f["Properties"]["Environment"]["Variables"]
        for lid, f in functions.items()
        if "POWERTOOLS_SERVICE_NAME" in f["Properties"].get("Environment", {}).get("Variables", {})
    }
    assert len(ours) >= 30
    for logical_id, variables in ours.items():
        assert variables.get("PYDANTIC_DISABLE_PLUGINS") == "__all__", logical_id


def test_every_function_and_layer_carries_asset_metadata_for_sam(dev: Synth) -> None:
    for resource_type in ("AWS::Lambda::Function", "AWS::Lambda::LayerVersion"):
        for logical_id, resource in dev.resources(resource_type).items():
            path = resource["Metadata"]["aws:asset:path"]
            assert (dev.outdir / path).is_dir(), logical_id
            assert resource["Metadata"]["aws:asset:property"] in {"Code", "Content"}


def test_handlers_name_unique_modules_that_exist(dev: Synth) -> None:
    handlers = [f["Properties"]["Handler"] for f in dev.resources("AWS::Lambda::Function").values()]
    modules = {handler.rsplit(".", 1)[0] for handler in handlers}
    for module in modules:
        service, name = module.split(".")
        assert (ROOT / "functions" / service / f"{name}.py").is_file(), module


def test_function_asset_holds_only_its_own_service(dev: Synth) -> None:
    for function in dev.resources("AWS::Lambda::Function").values():
        service = function["Properties"]["Handler"].split(".")[0]
        asset = dev.outdir / function["Metadata"]["aws:asset:path"]
        packages = sorted(p.name for p in asset.iterdir() if p.is_dir() and p.name != "__pycache__")
        assert packages == [service]


def test_functions_use_only_the_project_layers(dev: Synth) -> None:
    project_layers = dev.resources("AWS::Lambda::LayerVersion")
    # One deps layer per dependency group (cdk/deps_layers.py) and the commerce layer.
    assert len(project_layers) == len(GROUPS) + 1
    by_path = {r["Metadata"]["aws:cdk:path"].split("/")[-2]: lid for lid, r in project_layers.items()}
    layer_of = {
        group: by_path["DepsLayer" if group == "core" else f"Deps{group.capitalize()}Layer"]
        for group in GROUPS
    }
    for logical_id, function in dev.resources("AWS::Lambda::Function").items():
        layers = function["Properties"]["Layers"]
        assert all(isinstance(layer, dict) and set(layer) == {"Ref"} for layer in layers), logical_id
        # Each function gets the deps layers of the groups its code imports, then the commerce layer.
        expected = {layer_of[g] for g in groups_for(function["Properties"]["Handler"].rpartition(".")[0])}
        assert {layer["Ref"] for layer in layers} == expected | {by_path["CommerceLayer"]}, logical_id


def test_outputs_include_api_url_and_event_bus_name(stage: Synth) -> None:
    outputs = stage.template["Outputs"]
    assert "ApiUrl" in outputs
    assert outputs["EventBusName"]["Value"] == {"Ref": next(iter(stage.resources("AWS::Events::EventBus")))}


def test_health_route_is_a_public_lambda_proxy(dev: Synth) -> None:
    resources = dev.resources("AWS::ApiGateway::Resource")
    health = next(k for k, v in resources.items() if v["Properties"]["PathPart"] == "health")
    method = next(
        m["Properties"]
        for m in dev.resources("AWS::ApiGateway::Method").values()
        if m["Properties"]["ResourceId"] == {"Ref": health} and m["Properties"]["HttpMethod"] != "OPTIONS"
    )
    assert method["HttpMethod"] == "GET"
    assert method["AuthorizationType"] == "NONE"
    assert method["Integration"]["Type"] == "AWS_PROXY"


@pytest.mark.parametrize(
    ("response_type", "status"),
    [
        ("DEFAULT_4XX", "400"),
        ("DEFAULT_5XX", "500"),
        ("UNAUTHORIZED", "401"),
        ("MISSING_AUTHENTICATION_TOKEN", "404"),
        ("THROTTLED", "429"),
        ("REQUEST_TOO_LARGE", "413"),
    ],
)
def test_gateway_responses_are_problem_json(dev: Synth, response_type: str, status: str) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in dev.resources("AWS::ApiGateway::GatewayResponse").values()
    }
    response = responses[response_type]
    assert response["StatusCode"] == status
    assert (
        response["ResponseParameters"]["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
    )
    template = response["ResponseTemplates"]["application/json"]
    rendered = template.replace("$context.error.messageString", '"x"').replace("$context.requestId", "r")
    body = json.loads(rendered)
    assert body["status"] == int(status)
    assert {"type", "title", "status", "detail"} <= body.keys()


def test_stage_traces_logs_and_throttles(stage: Synth) -> None:
    (api_stage,) = stage.resources("AWS::ApiGateway::Stage").values()
    props = api_stage["Properties"]
    assert props["TracingEnabled"] is True
    assert "AccessLogSetting" in props
    assert props["StageName"] == stage.stage


def test_cfn_lint_reports_no_errors(stage: Synth) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cfnlint", "--format", "json", *(str(path) for path, _ in stage.templates())],
        capture_output=True,
        text=True,
        check=False,
    )
    findings = json.loads(result.stdout or "[]")
    errors = [f for f in findings if f["Level"] == "Error"]
    assert errors == [], errors


def test_cdk_nag_runs_both_packs_and_every_acknowledgement_has_a_reason(stage: Synth) -> None:
    report = json.loads((stage.outdir / "validation-report.json").read_text())
    plugins = {plugin["pluginName"]: plugin for plugin in report["pluginReports"]}
    assert {"AwsSolutions", "Serverless"} <= set(plugins)
    for plugin in plugins.values():
        assert plugin["conclusion"] == "success"
        assert plugin["violations"] == []
        for suppressed in plugin["suppressedViolations"]:
            assert len(suppressed["reason"]) >= 40, suppressed["ruleName"]


def test_an_unacknowledged_finding_fails_the_synth(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "NagProbe")
    sqs.Queue(stack, "PlainQueue")  # no DLQ, no TLS enforcement, no encryption key
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(), ServerlessChecks())
    with pytest.raises(Exception, match="AwsSolutions-SQS4"):
        app.synth()
