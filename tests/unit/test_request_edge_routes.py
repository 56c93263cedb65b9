"""The request-body edge holds on every route of every API function, before any model or handler
sees the body (issue 18, findings 1, 2 and 8): a body too deep, too wide, not an object, not JSON or
too large gets its 4xx problem from the shared resolver, and `Application/JSON` is JSON."""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commerce.request_body import MAX_BODY_BYTES, MAX_DEPTH, MAX_MEMBERS
from tests.conftest import FakeLambdaContext, load_event
from tools import openapi

EDGE_DETAIL = "The request body is JSON, but not a document this API accepts."


def _routes() -> list[tuple[str, str, str]]:
    found = []
    for path in openapi.api_files():
        module_name = f"{path.parent.name}.{path.stem}"
        app = importlib.import_module(module_name).app
        for route in app._static_routes + app._dynamic_routes:
            found.append((module_name, route.method, re.sub(r"<(\w+)>", r"\1-1", route.path)))
    return sorted(found)


ROUTES = _routes()
JSON_ROUTES = [r for r in ROUTES if r[2] != "/payments/webhook"]


def call(module_name: str, method: str, path: str, body: str | None, content_type: str) -> dict[str, Any]:
    event = load_event("system.health.json")
    event.update(httpMethod=method, path=path, resource=path, body=body, pathParameters=None)
    event["headers"] = {"Content-Type": content_type, "Idempotency-Key": "k-1"}
    event["multiValueHeaders"] = {key: [value] for key, value in event["headers"].items()}
    event["requestContext"].update(httpMethod=method, resourcePath=path)
    event["requestContext"]["authorizer"] = {"userId": "u-1", "roles": "user"}
    response: dict[str, Any] = importlib.import_module(module_name).lambda_handler(event, FakeLambdaContext())
    return response


def problem(response: dict[str, Any]) -> dict[str, Any]:
    content_type = (response.get("multiValueHeaders") or {}).get("Content-Type", [None])[-1]
    assert content_type == "application/problem+json", response
    body: dict[str, Any] = json.loads(response["body"])
    assert body["status"] == response["statusCode"]
    return body


def test_every_api_function_is_covered() -> None:
    assert len(ROUTES) >= 19
    assert {m for m, *_ in ROUTES} >= {"identity.register", "users.patch_me"}


DEEP = '{"name":' + "[" * 1000 + "]" * 1000 + "}"
REFUSED = {
    "nested 1,000 levels": (DEEP, 422),
    "a one-element array around a body": ('[{"email":"a@example.com","password":"p","name":"n"}]', 422),
    "a scalar": ('"hello"', 422),
    "null": ("null", 422),
    "too wide": (json.dumps({"name": list(range(MAX_MEMBERS + 1))}), 422),
    "malformed": ('{"name":', 400),
    "a lone surrogate": ('{"name":"\\ud800"}', 400),
    "a 5,000-digit integer": ('{"n":' + "1" * 5000 + "}", 422),
    "over 64 KiB": (json.dumps({"name": "x" * MAX_BODY_BYTES}), 413),
}


@pytest.mark.parametrize(
    ("module_name", "method", "path"), JSON_ROUTES, ids=[f"{m} {p}" for _, m, p in JSON_ROUTES]
)
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_edge_refuses_on_every_route_before_the_handler(
    module_name: str, method: str, path: str, case: str
) -> None:
    body, status = REFUSED[case]
    response = call(module_name, method, path, body, "application/json")
    assert response["statusCode"] == status
    detail = problem(response)
    if status == 422:
        assert detail["detail"] == EDGE_DETAIL
        assert detail["errors"][0]["loc"] == ["body"]


@pytest.mark.parametrize(("module_name", "method", "path"), ROUTES, ids=[f"{m} {p}" for _, m, p in ROUTES])
def test_a_non_json_media_type_is_415_on_every_route(module_name: str, method: str, path: str) -> None:
    response = call(module_name, method, path, "name=x", "application/x-www-form-urlencoded")
    assert response["statusCode"] == 415
    problem(response)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(JSON_ROUTES), st.integers(min_value=MAX_DEPTH + 1, max_value=3000), st.booleans())
def test_any_depth_beyond_the_limit_is_422_on_any_route(
    route: tuple[str, str, str], depth: int, objects: bool
) -> None:
    inner = ('{"k":' * depth + "1" + "}" * depth) if objects else ("[" * depth + "]" * depth)
    response = call(*route, body='{"name":' + inner + "}", content_type="application/json")
    assert response["statusCode"] == 422
    problem(response)


def test_media_types_are_compared_case_insensitively_on_a_validated_route() -> None:
    # A body Powertools validates: the edge hands it a canonical Content-Type, so the model runs
    # (422 for the missing fields) instead of Powertools answering 415 for `Application/JSON`.
    for content_type in ("Application/JSON", "APPLICATION/JSON; Charset=UTF-8", "application/Problem+JSON"):
        response = call("identity.login", "POST", "/auth/login", "{}", content_type)
        assert response["statusCode"] == 422, content_type
        assert {e["loc"][-1] for e in problem(response)["errors"]} == {"email", "password"}
