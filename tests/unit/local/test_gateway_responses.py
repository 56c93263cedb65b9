"""Gateway response rendering: templates, headers, fallbacks to DEFAULT_4XX/5XX and built-in defaults."""

from __future__ import annotations

import json

from local.gateway_responses import GatewayResponseSpec, render, render_vtl

CONTEXT = {"requestId": "req-1", "stage": "dev", "identity": {"sourceIp": "127.0.0.1"}}


def test_built_in_default_when_the_template_has_none() -> None:
    rendered = render({}, "UNAUTHORIZED", CONTEXT, {}, {}, {})
    assert rendered.status == 401
    assert json.loads(rendered.body) == {"message": "Unauthorized"}
    assert rendered.headers["x-amzn-ErrorType"] == "UnauthorizedException"


def test_authorizer_failure_default_message_is_null() -> None:
    rendered = render({}, "AUTHORIZER_FAILURE", CONTEXT, {}, {}, {})
    assert rendered.status == 500
    assert json.loads(rendered.body) == {"message": None}


def test_specific_response_overrides_status_headers_and_template() -> None:
    specs = {
        "MISSING_AUTHENTICATION_TOKEN": GatewayResponseSpec(
            "MISSING_AUTHENTICATION_TOKEN",
            404,
            {
                "gatewayresponse.header.Content-Type": "'application/problem+json'",
                "gatewayresponse.header.X-Echo": "method.request.header.x-trace",
            },
            {"application/json": '{"title":$context.error.messageString,"id":"$context.requestId"}'},
        )
    }
    rendered = render(specs, "MISSING_AUTHENTICATION_TOKEN", CONTEXT, {"X-Trace": "t1"}, {}, {})
    assert rendered.status == 404
    assert rendered.headers["Content-Type"] == "application/problem+json"
    assert rendered.headers["X-Echo"] == "t1"
    assert json.loads(rendered.body) == {"title": "Missing Authentication Token", "id": "req-1"}


def test_default_4xx_applies_to_4xx_types_without_changing_their_status() -> None:
    specs = {
        "DEFAULT_4XX": GatewayResponseSpec(
            "DEFAULT_4XX", None, {}, {"application/json": '{"t":"$context.error.responseType"}'}
        )
    }
    rendered = render(specs, "ACCESS_DENIED", CONTEXT, {}, {}, {})
    assert rendered.status == 403
    assert json.loads(rendered.body) == {"t": "ACCESS_DENIED"}
    rendered = render(specs, "INTEGRATION_TIMEOUT", CONTEXT, {}, {}, {})
    assert rendered.status == 504
    assert json.loads(rendered.body) == {"message": "Endpoint request timed out"}


def test_vtl_variables() -> None:
    variables = {"context": {"a": {"b": "x"}}, "stageVariables": {"color": "blue"}}
    assert render_vtl(
        "$context.a.b-${context.a.b}-$stageVariables.color-$context.none-$other", variables
    ) == ("x-x-blue--$other")
