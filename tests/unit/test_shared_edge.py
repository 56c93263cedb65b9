"""The shared edge: one table maps domain errors to problems, and one correlation id travels with a
request — the caller's valid `X-Correlation-Id`, else API Gateway's request id — into the logs, the
use case (and so the events it records) and the `X-Correlation-Id` response header."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

import pytest

from commerce import errors
from commerce.api import PROBLEM_STATUS, correlation_id, http_handler, make_resolver, problem_for
from commerce.observability import logger
from tests.conftest import FakeLambdaContext, load_event

ROOT = Path(__file__).resolve().parents[2]

app = make_resolver()
seen: list[str] = []
logged: list[str | None] = []


@app.get("/echo")
def echo() -> dict[str, str]:
    logged.append(logger.get_correlation_id())  # the `correlation_id` key of every log line
    seen.append(correlation_id(app))
    return {"ok": "yes"}


lambda_handler = http_handler(app)


def call(headers: dict[str, str]) -> dict[str, Any]:
    event = load_event("system.health.json")
    event.update(path="/echo", resource="/echo")
    event["requestContext"].update(resourcePath="/echo", requestId="req-123")
    event["headers"] = headers
    event["multiValueHeaders"] = {key: [value] for key, value in headers.items()}
    seen.clear()
    logged.clear()
    return lambda_handler(event, FakeLambdaContext())


@pytest.mark.parametrize("header", ["X-Correlation-Id", "x-correlation-id"])
def test_a_valid_caller_correlation_id_is_the_one_id_everywhere(header: str) -> None:
    response = call({header: "caller-42"})

    assert response["statusCode"] == 200
    assert response["multiValueHeaders"]["X-Correlation-Id"] == ["caller-42"]
    assert seen == ["caller-42"]  # what a use case records in its events
    assert logged == ["caller-42"]


@pytest.mark.parametrize("bad", ["", "x" * 129, "line\nbreak"])
def test_without_a_valid_one_the_request_id_is_used(bad: str) -> None:
    response = call({"X-Correlation-Id": bad} if bad else {})

    assert response["multiValueHeaders"]["X-Correlation-Id"] == ["req-123"]
    assert seen == ["req-123"]
    assert logged == ["req-123"]


def test_an_error_response_carries_the_correlation_id_too() -> None:
    event = load_event("system.health.json")
    event.update(path="/nowhere", resource="/nowhere")
    event["headers"] = {"X-Correlation-Id": "caller-7"}
    response = lambda_handler(event, FakeLambdaContext())
    assert response["statusCode"] == 404
    assert response["multiValueHeaders"]["X-Correlation-Id"] == ["caller-7"]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.MalformedRequest("bad cursor"), 400),
        (errors.NotAuthenticated("who?"), 401),
        (errors.NotPermitted("no"), 403),
        (errors.NotFound("none"), 404),
        (errors.Conflict("state"), 409),
        (errors.Rejected("rule", errors=[{"loc": ["body"], "msg": "m"}]), 422),
        (errors.RateLimited("slow down", retry_after_seconds=7), 429),
    ],
)
def test_each_kind_of_domain_error_has_its_status(error: errors.DomainError, status: int) -> None:
    problem = problem_for(error)
    assert problem.status == status
    assert problem.body()["detail"] == error.detail
    if status == 401:
        assert problem.headers == {"WWW-Authenticate": "Bearer"}
    if status == 429:
        assert problem.headers == {"Retry-After": "7"}
    if status == 422:
        assert problem.body()["errors"] == [{"loc": ["body"], "msg": "m"}]


def test_every_domain_error_a_service_defines_maps_to_a_4xx() -> None:
    """A service's own errors subclass a kind of the table, so none of them can become a 500."""
    found = []
    for path in sorted((ROOT / "functions").glob("*/domain.py")):
        module = importlib.import_module(f"{path.parent.name}.domain")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, errors.DomainError) and cls.__module__ == module.__name__:
                found.append(cls)
                assert any(kind in PROBLEM_STATUS for kind in cls.__mro__), cls
    assert len(found) >= 10
