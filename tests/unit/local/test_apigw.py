"""API Gateway emulation: routing, the proxy event, responses, authorizers, gateway responses.

Functions run in-process here (the fixtures' handlers imported directly), so no worker or socket is needed.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

import pytest

from local.api_model import ApiModel, load_api, match_route
from local.apigw import MAX_BODY_BYTES, Gateway
from local.functions import FunctionSpec, load_functions
from local.lambda_authorizer import method_arn, policy_allows
from local.provision import Provisioner
from local.proxy import HttpRequest, proxy_response
from local.runtime import InvokeResult
from tests.unit.local.sample import FIXTURES, sample_template

sys.path[:0] = [str(FIXTURES / "functions"), str(FIXTURES / "layer" / "python")]


class _Context:
    function_name = "fn"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
    memory_limit_in_mb = "256"
    aws_request_id = "req"
    log_group_name = "/aws/lambda/fn"

    def get_remaining_time_in_millis(self) -> int:
        return 1000


class InProcessInvoker:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.timeouts: set[str] = set()

    def __call__(self, spec: FunctionSpec, event: Any, timeout_s: float, trigger: str) -> InvokeResult:
        self.calls.append((spec.logical_id, event))
        if spec.logical_id in self.timeouts:
            error = {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out"}
            return InvokeResult("r", timeout_s * 1000, error=error)
        module_name, _, attribute = spec.handler.rpartition(".")
        handler = getattr(importlib.import_module(module_name), attribute)
        try:
            return InvokeResult("r", 1.0, payload=handler(event, _Context()))
        except Exception as exc:
            return InvokeResult("r", 1.0, error={"errorType": type(exc).__name__, "errorMessage": str(exc)})


@pytest.fixture(scope="module")
def api_and_functions() -> tuple[ApiModel, dict[str, FunctionSpec]]:
    template = sample_template()
    provisioner = Provisioner(template, None)
    provisioner.placeholders_only()
    functions = load_functions(template, provisioner.resolver)
    api = load_api(template, provisioner.resolver, functions)
    assert api is not None
    return api, functions


@pytest.fixture
def gateway(api_and_functions: tuple[ApiModel, dict[str, FunctionSpec]]) -> tuple[Gateway, InProcessInvoker]:
    invoker = InProcessInvoker()
    return Gateway(api_and_functions[0], invoker, integration_timeout_s=29), invoker


def _request(
    method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"", query: str = ""
) -> HttpRequest:
    return HttpRequest(method, path, query, list((headers or {}).items()), body, "127.0.0.1")


def _json(body: bytes) -> Any:
    return json.loads(body)


def test_routes_come_from_the_template(api_and_functions: tuple[ApiModel, dict[str, FunctionSpec]]) -> None:
    api, _ = api_and_functions
    assert api.stage == "dev"
    assert api.stage_variables == {"color": "blue"}
    assert {(r.method, r.path) for r in api.routes} >= {
        ("GET", "/health"),
        ("POST", "/orders"),
        ("GET", "/orders/{orderId}"),
        ("GET", "/orders/mine"),
        ("ANY", "/files/{proxy+}"),
        ("OPTIONS", "/orders"),
    }


def test_literal_segments_beat_parameters_and_proxy_is_greedy(
    api_and_functions: tuple[ApiModel, dict[str, FunctionSpec]],
) -> None:
    routes = api_and_functions[0].routes
    found = match_route(routes, "GET", "/orders/mine")
    assert found is not None
    assert found[0].path == "/orders/mine"
    found = match_route(routes, "GET", "/orders/o-1")
    assert found is not None
    assert found[0].path == "/orders/{orderId}"
    assert found[1] == {"orderId": "o-1"}
    found = match_route(routes, "DELETE", "/files/a/b/c.txt")
    assert found is not None
    assert found[1] == {"proxy": "a/b/c.txt"}
    assert match_route(routes, "GET", "/files") is None
    assert match_route(routes, "DELETE", "/health") is None


def test_proxy_event_v1_is_complete(gateway: tuple[Gateway, InProcessInvoker]) -> None:
    gw, invoker = gateway
    response = gw.handle(
        _request("GET", "/files/a/b", {"X-Multi": "1", "x-multi": "2", "Host": "h"}, query="q=1&q=2&z=")
    )
    assert response.status == 200
    event = invoker.calls[-1][1]
    assert event["resource"] == "/files/{proxy+}"
    assert event["path"] == "/files/a/b"
    assert event["httpMethod"] == "GET"
    assert event["headers"]["x-multi"] == "2"
    assert event["multiValueHeaders"]["X-Multi"] == ["1"]
    assert event["queryStringParameters"] == {"q": "2", "z": ""}
    assert event["multiValueQueryStringParameters"] == {"q": ["1", "2"], "z": [""]}
    assert event["pathParameters"] == {"proxy": "a/b"}
    assert event["stageVariables"] == {"color": "blue"}
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["stage"] == "dev"
    assert ctx["resourcePath"] == "/files/{proxy+}"
    assert ctx["httpMethod"] == "GET"
    assert ctx["identity"]["sourceIp"] == "127.0.0.1"
    assert ctx["requestId"]
    assert isinstance(ctx["requestTimeEpoch"], int)
    assert ctx["path"] == "/dev/files/a/b"


def test_binary_bodies_are_base64_encoded(gateway: tuple[Gateway, InProcessInvoker]) -> None:
    gw, invoker = gateway
    gw.handle(_request("POST", "/files/x", {"Content-Type": "application/octet-stream"}, b"\xff\x00"))
    event = invoker.calls[-1][1]
    assert event["isBase64Encoded"] is True
    assert event["body"] == "/wA="


def test_proxy_response_maps_headers_multi_headers_and_base64() -> None:
    response = proxy_response(
        {
            "statusCode": 201,
            "headers": {"X-A": "1", "Set-Cookie": "ignored"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": "aGk=",
            "isBase64Encoded": True,
        }
    )
    assert response is not None
    assert response.status == 201
    assert response.body == b"hi"
    assert ("Set-Cookie", "a=1") in response.headers
    assert ("Set-Cookie", "b=2") in response.headers
    assert ("X-A", "1") in response.headers
    assert proxy_response("nope") is None
    assert proxy_response({"statusCode": 200, "body": {"x": 1}}) is None
    assert proxy_response({"statusCode": 200, "unexpected": 1}) is None


def test_stage_prefix_is_accepted(gateway: tuple[Gateway, InProcessInvoker]) -> None:
    gw, invoker = gateway
    assert gw.handle(_request("GET", "/dev/health")).status == 200
    assert invoker.calls[-1][1]["path"] == "/health"


def test_unknown_route_is_the_templates_missing_authentication_token_response(
    gateway: tuple[Gateway, InProcessInvoker],
) -> None:
    gw, _ = gateway
    response = gw.handle(_request("GET", "/nope"))
    headers = dict(response.headers)
    assert response.status == 404
    assert headers["Content-Type"] == "application/problem+json"
    body = _json(response.body)
    assert body["title"] == "Missing Authentication Token"
    assert body["kind"] == "MISSING_AUTHENTICATION_TOKEN"
    assert body["requestId"] == headers["x-amzn-RequestId"] == headers["X-Request-Id"]
    assert gw.handle(_request("DELETE", "/health")).status == 404


def test_missing_token_is_401_through_default_4xx(gateway: tuple[Gateway, InProcessInvoker]) -> None:
    gw, invoker = gateway
    response = gw.handle(_request("GET", "/orders/1"))
    assert response.status == 401
    assert dict(response.headers)["Content-Type"] == "application/problem+json"
    assert _json(response.body)["title"] == "Unauthorized"
    assert invoker.calls == []


def test_token_failing_the_validation_expression_is_401_without_calling_the_authorizer(
    gateway: tuple[Gateway, InProcessInvoker],
) -> None:
    gw, invoker = gateway
    assert gw.handle(_request("GET", "/orders/1", {"Authorization": "Basic abc"})).status == 401
    assert invoker.calls == []


def test_allowed_request_carries_the_authorizer_context(gateway: tuple[Gateway, InProcessInvoker]) -> None:
    gw, invoker = gateway
    response = gw.handle(_request("GET", "/orders/1", {"Authorization": "Bearer allow"}))
    assert response.status == 200
    authorizer = invoker.calls[-1][1]["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "user-1"
    assert authorizer["userId"] == "user-1"
    assert authorizer["roles"] == "admin,user"
    assert authorizer["admin"] == "true"  # context values reach the integration as strings


def test_authorizer_results_are_cached_by_identity_source(gateway: tuple[Gateway, InProcessInvoker]) -> None:
    gw, invoker = gateway
    for _ in range(3):
        assert gw.handle(_request("GET", "/orders/1", {"Authorization": "Bearer allow"})).status == 200
    assert [c[0] for c in invoker.calls].count("AuthorizerFn") == 1
    gw.handle(_request("GET", "/orders/1", {"Authorization": "Bearer allow2"}))
    assert [c[0] for c in invoker.calls].count("AuthorizerFn") == 2


def test_cached_policy_is_evaluated_against_each_method_arn(
    gateway: tuple[Gateway, InProcessInvoker],
) -> None:
    gw, _ = gateway
    headers = {"Authorization": "Bearer narrow"}  # allows GET /health only
    response = gw.handle(_request("GET", "/orders/1", headers))
    assert response.status == 403
    assert _json(response.body)["title"] == "User is not authorized to access this resource"


def test_explicit_deny_is_403_access_denied(gateway: tuple[Gateway, InProcessInvoker]) -> None:
    gw, _ = gateway
    response = gw.handle(_request("POST", "/orders", {"Authorization": "Bearer deny"}, b"{}"))
    assert response.status == 403
    assert _json(response.body)["kind"] == "ACCESS_DENIED"
    assert "explicit deny" in _json(response.body)["title"]


def test_authorizer_raising_unauthorized_is_401_and_any_other_error_500(
    gateway: tuple[Gateway, InProcessInvoker],
) -> None:
    gw, _ = gateway
    assert gw.handle(_request("GET", "/orders/1", {"Authorization": "Bearer unauthorized"})).status == 401
    response = gw.handle(_request("GET", "/orders/1", {"Authorization": "Bearer boom"}))
    assert response.status == 500
    assert _json(response.body)["kind"] == "AUTHORIZER_FAILURE"
    response = gw.handle(_request("GET", "/orders/1", {"Authorization": "Bearer nested"}))
    assert response.status == 500
    assert _json(response.body)["kind"] == "AUTHORIZER_CONFIGURATION_ERROR"


def test_function_error_and_malformed_response_are_502(gateway: tuple[Gateway, InProcessInvoker]) -> None:
    gw, _ = gateway
    for path in ("/fail", "/malformed"):
        response = gw.handle(_request("GET", path))
        assert response.status == 502
        assert _json(response.body)["title"] == "Internal server error"


def test_integration_timeout_is_504(gateway: tuple[Gateway, InProcessInvoker]) -> None:
    gw, invoker = gateway
    invoker.timeouts.add("SlowFn")
    response = gw.handle(_request("GET", "/slow"))
    assert response.status == 504
    assert _json(response.body)["kind"] == "INTEGRATION_TIMEOUT"


def test_body_over_10_mb_is_413(gateway: tuple[Gateway, InProcessInvoker]) -> None:
    gw, invoker = gateway
    request = _request("POST", "/files/x", body=b"")
    request.oversized = True
    response = gw.handle(request)
    assert response.status == 413
    assert invoker.calls == []
    assert MAX_BODY_BYTES == 10 * 1024 * 1024


def test_mock_integration_answers_cors_preflight(gateway: tuple[Gateway, InProcessInvoker]) -> None:
    gw, _ = gateway
    response = gw.handle(_request("OPTIONS", "/orders"))
    assert response.status == 204
    assert dict(response.headers)["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("arn:aws:execute-api:us-east-1:123456789012:api/*", True),
        ("arn:aws:execute-api:us-east-1:123456789012:api/dev/GET/orders/*", True),
        ("arn:aws:execute-api:us-east-1:123456789012:api/*/POST/*", None),
        ("arn:aws:execute-api:us-east-1:123456789012:api/dev/GET/orders/?", True),
        ("*", True),
    ],
)
def test_policy_wildcards(resource: str, expected: bool | None) -> None:
    policy = {"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resource}]}
    assert (
        policy_allows(policy, "arn:aws:execute-api:us-east-1:123456789012:api/dev/GET/orders/1") is expected
    )


def test_deny_beats_allow() -> None:
    policy = {
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": ["execute-api:Invoke"], "Resource": ["*/DELETE/*"]},
        ]
    }
    assert policy_allows(policy, "arn:aws:execute-api:us-east-1:1:api/dev/DELETE/x") is False
    assert policy_allows(policy, "arn:aws:execute-api:us-east-1:1:api/dev/GET/x") is True


def test_method_arn_shape(api_and_functions: tuple[ApiModel, dict[str, FunctionSpec]]) -> None:
    api = api_and_functions[0]
    assert (
        method_arn(api, "GET", "/orders/1")
        == f"arn:aws:execute-api:us-east-1:123456789012:{api.api_id}/dev/GET/orders/1"
    )


def test_request_authorizer_gets_the_request_and_caches_by_every_identity_source(
    gateway: tuple[Gateway, InProcessInvoker],
) -> None:
    gw, invoker = gateway
    assert gw.handle(_request("GET", "/tenants", {"X-Api-Key": "key-1"})).status == 401  # tenant missing
    assert gw.handle(_request("GET", "/tenants", {"X-Api-Key": "key-1"}, query="tenant=t1")).status == 200
    auth_event = next(event for name, event in invoker.calls if name == "RequestAuthorizerFn")
    assert auth_event["type"] == "REQUEST"
    assert auth_event["headers"]["X-Api-Key"] == "key-1"
    assert auth_event["methodArn"].endswith("/dev/GET/tenants")
    authorizer = invoker.calls[-1][1]["requestContext"]["authorizer"]
    assert authorizer == {**authorizer, "principalId": "tenant-t1", "tenant": "t1", "type": "REQUEST"}
    gw.handle(_request("GET", "/tenants", {"X-Api-Key": "key-1"}, query="tenant=t1"))
    gw.handle(_request("GET", "/tenants", {"X-Api-Key": "key-1"}, query="tenant=t2"))
    assert [name for name, _ in invoker.calls].count("RequestAuthorizerFn") == 2
    assert gw.handle(_request("GET", "/tenants", {"X-Api-Key": "wrong"}, query="tenant=t1")).status == 403
