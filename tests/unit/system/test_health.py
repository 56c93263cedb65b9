from __future__ import annotations

import json

import pytest

from tests.conftest import FakeLambdaContext, load_event


def test_health_reports_ok_and_version(
    monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext
) -> None:
    monkeypatch.setenv("APP_VERSION", "1.2.3")
    from system import health

    response = health.lambda_handler(load_event("system.health.json"), lambda_context)

    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "ok", "version": "1.2.3"}
