"""The shared resolver: every error is RFC 9457 problem+json and nothing leaks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from commerce.api import current_caller, make_resolver, require_admin
from commerce.errors import Conflict, RateLimited
from tests.conftest import load_event


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)


app = make_resolver()


@app.post("/things")
def create_thing(thing: Thing) -> dict[str, str]:
    return {"name": thing.name}


@app.get("/boom")
def boom() -> dict[str, str]:
    raise RuntimeError("table Commerce-dev-OrdersTable secret=hunter2 exploded")


@app.get("/conflict")
def conflict() -> dict[str, str]:
    raise Conflict("Already exists.")


@app.get("/slow-down")
def slow_down() -> dict[str, str]:
    raise RateLimited("Too many attempts.", retry_after_seconds=42)


@app.get("/admin")
def admin_only() -> dict[str, str]:
    return {"userId": require_admin(app).user_id}


@app.get("/me")
def me() -> dict[str, Any]:
    caller = current_caller(app)
    return {"userId": caller.user_id, "roles": sorted(caller.roles)}


def request(
    method: str,
    path: str,
    body: str | None = None,
    headers: dict[str, str] | None = None,
    authorizer: dict[str, str] | None = None,
) -> dict[str, Any]:
    event = load_event("system.health.json")
    event.update(httpMethod=method, path=path, resource=path, body=body)
    event["headers"] = {"Content-Type": "application/json", **(headers or {})}
    event["multiValueHeaders"] = {key: [value] for key, value in event["headers"].items()}
    event["requestContext"]["httpMethod"] = method
    event["requestContext"]["resourcePath"] = path
    if authorizer is not None:
        event["requestContext"]["authorizer"] = authorizer
    response = app.resolve(event, None)
    headers_out = {key: values[-1] for key, values in response.get("multiValueHeaders", {}).items()}
    headers_out.update(response.get("headers") or {})
    return {"status": response["statusCode"], "headers": headers_out, "body": json.loads(response["body"])}


def assert_problem(response: dict[str, Any], status: int) -> dict[str, Any]:
    assert response["status"] == status
    assert response["headers"]["Content-Type"] == "application/problem+json"
    body = response["body"]
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


def test_valid_body_reaches_the_route() -> None:
    response = request("POST", "/things", json.dumps({"name": "x"}))
    assert response["status"] == 200
    assert response["body"] == {"name": "x"}


def test_malformed_json_is_400() -> None:
    assert_problem(request("POST", "/things", "{not json"), 400)


def test_schema_violation_is_422_with_locations() -> None:
    body = assert_problem(request("POST", "/things", json.dumps({"name": "x", "roles": ["admin"]})), 422)
    assert {"loc": ["body", "roles"], "msg": "Extra inputs are not permitted"} in body["errors"]


def test_body_over_64_kib_is_413() -> None:
    assert_problem(request("POST", "/things", json.dumps({"name": "x" * (64 * 1024)})), 413)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_non_json_body_is_415(content_type: str) -> None:
    assert_problem(request("POST", "/things", "name=x", headers={"Content-Type": content_type}), 415)


def test_unknown_route_is_404() -> None:
    assert_problem(request("GET", "/nowhere"), 404)


def test_unexpected_error_is_500_without_internals(capsys: pytest.CaptureFixture[str]) -> None:
    response = request("GET", "/boom")
    body = assert_problem(response, 500)
    text = json.dumps(body)
    assert "hunter2" not in text
    assert "Commerce-dev-OrdersTable" not in text
    assert "Traceback" not in text


def test_domain_problem_keeps_its_status() -> None:
    assert_problem(request("GET", "/conflict"), 409)


def test_throttled_problem_carries_retry_after() -> None:
    response = request("GET", "/slow-down")
    assert_problem(response, 429)
    assert response["headers"]["Retry-After"] == "42"


def test_identity_comes_from_the_authorizer_context() -> None:
    response = request("GET", "/me", authorizer={"userId": "u-1", "roles": "customer,admin"})
    assert response["body"] == {"userId": "u-1", "roles": ["admin", "customer"]}


def test_missing_authorizer_context_is_401() -> None:
    assert_problem(request("GET", "/me"), 401)


def test_non_admin_on_admin_route_is_403() -> None:
    assert_problem(request("GET", "/admin", authorizer={"userId": "u-1", "roles": "customer"}), 403)
    assert request("GET", "/admin", authorizer={"userId": "u-2", "roles": "admin"})["status"] == 200


def test_json_body_without_content_type_is_accepted() -> None:
    event_headers = {"Content-Type": ""}
    response = request("POST", "/things", json.dumps({"name": "x"}), headers=event_headers)
    assert response["status"] in {200, 415}
