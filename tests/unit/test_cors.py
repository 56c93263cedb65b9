"""The functions' side of CORS (issue 18 finding 11): a response to a browser on an allowed origin
carries Access-Control-Allow-Origin — also a problem the request edge refused before any route
ran — and one from any other origin carries none."""

from __future__ import annotations

import json
from typing import Any

import pytest

from commerce.api import make_resolver

ALLOWED = "https://app.commerce.example"


def _event(method: str, body: str | None, origin: str | None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if origin:
        headers["Origin"] = origin
    return {
        "resource": "/things",
        "path": "/things",
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "requestContext": {
            "requestId": "r-1",
            "stage": "dev",
            "resourcePath": "/things",
            "httpMethod": method,
        },
        "body": body,
        "isBase64Encoded": False,
    }


def _allow_origin(response: dict[str, Any]) -> list[str]:
    headers = response.get("multiValueHeaders") or {}
    single = (response.get("headers") or {}).get("Access-Control-Allow-Origin")
    return list(headers.get("Access-Control-Allow-Origin", [])) + ([single] if single else [])


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("CORS_ORIGINS", ALLOWED)
    app = make_resolver()

    @app.post("/things")
    def create() -> dict[str, str]:
        return {"ok": "yes"}

    return app


def test_an_allowed_origin_reads_the_answer_and_the_edges_refusal(app: Any) -> None:
    ok = app.resolve(_event("POST", json.dumps({"a": 1}), ALLOWED), None)
    assert ok["statusCode"] == 200
    assert _allow_origin(ok) == [ALLOWED]
    refused = app.resolve(_event("POST", "[" * 100 + "]" * 100, ALLOWED), None)
    assert refused["statusCode"] == 422
    assert _allow_origin(refused) == [ALLOWED]


def test_another_origin_gets_no_cors_headers(app: Any) -> None:
    assert _allow_origin(app.resolve(_event("POST", "{}", "https://evil.example"), None)) == []
    assert (
        _allow_origin(app.resolve(_event("POST", "[" * 100 + "]" * 100, "https://evil.example"), None)) == []
    )


def test_without_origins_no_response_has_cors_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CORS_ORIGINS", raising=False)
    app = make_resolver()

    @app.post("/things")
    def create() -> dict[str, str]:
        return {"ok": "yes"}

    assert _allow_origin(app.resolve(_event("POST", "{}", ALLOWED), None)) == []
