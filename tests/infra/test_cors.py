"""CORS in the synthesized template (issue 18 finding 11): allowed origins are a stage setting
(`-c corsOrigins`, none by default in prod), API Gateway answers the preflight itself (a MOCK
OPTIONS method on every resource, without the authorizer), the gateway responses carry
Access-Control-Allow-Origin, and every API function is told the origins for its own responses.
A preflight carries no credentials, so its method must not need any:
https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.conftest import Synth, synthesize

ORIGIN = "https://app.commerce.example"


def _methods(synth: Synth) -> list[dict[str, Any]]:
    return [m["Properties"] for m in synth.resources("AWS::ApiGateway::Method").values()]


def _resources_with_routes(synth: Synth) -> set[str]:
    return {str(m["ResourceId"]) for m in _methods(synth) if m["HttpMethod"] != "OPTIONS"}


def _preflights(synth: Synth) -> dict[str, dict[str, Any]]:
    return {str(m["ResourceId"]): m for m in _methods(synth) if m["HttpMethod"] == "OPTIONS"}


def _gateway_headers(synth: Synth) -> list[dict[str, str]]:
    return [
        r["Properties"].get("ResponseParameters", {})
        for r in synth.resources("AWS::ApiGateway::GatewayResponse").values()
    ]


def _api_functions(synth: Synth) -> list[dict[str, Any]]:
    routed = {
        str(m["Integration"].get("Uri")) for m in _methods(synth) if m["Integration"]["Type"] == "AWS_PROXY"
    }
    return [
        fn
        for logical_id, fn in synth.resources("AWS::Lambda::Function").items()
        if any(logical_id in uri for uri in routed)
    ]


def test_dev_answers_every_preflight_in_the_gateway_without_the_authorizer(dev: Synth) -> None:
    preflights = _preflights(dev)
    assert _resources_with_routes(dev) <= set(preflights)
    for method in preflights.values():
        assert method["AuthorizationType"] == "NONE"
        assert method["Integration"]["Type"] == "MOCK"
        [response] = method["Integration"]["IntegrationResponses"]
        headers = response["ResponseParameters"]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == "'*'"
        allowed = headers["method.response.header.Access-Control-Allow-Headers"].strip("'").split(",")
        assert {"Authorization", "Content-Type", "Idempotency-Key"} <= set(allowed)
        methods = headers["method.response.header.Access-Control-Allow-Methods"].strip("'").split(",")
        assert {"GET", "POST", "PATCH", "DELETE"} <= set(methods)


def test_dev_gateway_responses_and_functions_carry_the_origins(dev: Synth) -> None:
    for headers in _gateway_headers(dev):
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == "'*'"
    functions = _api_functions(dev)
    assert len(functions) >= 19
    for fn in functions:
        assert fn["Properties"]["Environment"]["Variables"]["CORS_ORIGINS"] == "*"


def test_prod_allows_no_origin_by_default(prod: Synth) -> None:
    assert _preflights(prod) == {}
    for headers in _gateway_headers(prod):
        assert not any("Access-Control" in key for key in headers)
    for fn in _api_functions(prod):
        assert "CORS_ORIGINS" not in fn["Properties"]["Environment"]["Variables"]


@pytest.fixture(scope="module")
def prod_with_origin(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("cors"), "prod", {"corsOrigins": ORIGIN})


def test_prod_allows_exactly_the_configured_origin(prod_with_origin: Synth) -> None:
    preflights = _preflights(prod_with_origin)
    assert _resources_with_routes(prod_with_origin) <= set(preflights)
    for method in preflights.values():
        [response] = method["Integration"]["IntegrationResponses"]
        assert (
            response["ResponseParameters"]["method.response.header.Access-Control-Allow-Origin"]
            == f"'{ORIGIN}'"
        )
    for headers in _gateway_headers(prod_with_origin):
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == f"'{ORIGIN}'"
    for fn in _api_functions(prod_with_origin):
        assert fn["Properties"]["Environment"]["Variables"]["CORS_ORIGINS"] == ORIGIN


def test_cors_origins_must_be_origins() -> None:
    from cdk.config import stage_config

    assert stage_config("prod").cors_origins == ()
    assert stage_config("dev").cors_origins == ("*",)
    assert stage_config("dev", {"corsOrigins": "none"}).cors_origins == ()
    assert stage_config("prod", {"corsOrigins": f"{ORIGIN}/, http://localhost:5173"}).cors_origins == (
        ORIGIN,
        "http://localhost:5173",
    )
    for bad in ("app.example", "https://app.example/path", "ftp://app.example", "*,https://a.example"):
        with pytest.raises(ValueError, match="corsOrigins"):
            stage_config("prod", {"corsOrigins": bad})
