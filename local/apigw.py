"""API Gateway REST API emulation: the gateway that ties the API model (local.api_model), proxy
integration (local.proxy), authorizers (local.lambda_authorizer) and gateway responses together."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl

from local.api_model import ApiModel, Route, match_route
from local.functions import FunctionSpec
from local.gateway_responses import RenderedResponse, render
from local.lambda_authorizer import AuthorizerCache, AuthorizerDenied, method_arn, run_authorizer
from local.proxy import (
    HttpRequest,
    HttpResponse,
    header,
    proxy_event,
    proxy_response,
)
from local.runtime import InvokeResult

log = logging.getLogger("local.apigw")

INTEGRATION_TIMEOUT_S = 29.0
MAX_BODY_BYTES = 10 * 1024 * 1024

Invoker = Callable[[FunctionSpec, Any, float, str], InvokeResult]


# --------------------------------------------------------------------------------------------------
# the gateway
# --------------------------------------------------------------------------------------------------
class Gateway:
    """Turns an HTTP request into an HTTP response exactly as the REST API would."""

    def __init__(
        self, api: ApiModel, invoke: Invoker, integration_timeout_s: float = INTEGRATION_TIMEOUT_S
    ) -> None:
        self.api = api
        self.invoke = invoke
        self.integration_timeout_s = integration_timeout_s
        self.cache = AuthorizerCache()
        self._root_literals = {r.segments[0] for r in api.routes if r.segments}

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        path = self._strip_stage(request.raw_path)
        context: dict[str, Any] = {
            "requestId": request_id,
            "extendedRequestId": request_id[:16],
            "path": f"/{self.api.stage}{path}",
            "httpMethod": request.method,
            "stage": self.api.stage,
            "apiId": self.api.api_id,
            "identity": {"sourceIp": request.source_ip, "userAgent": header(request.headers, "user-agent")},
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "requestTimeEpoch": int(time.time() * 1000),
        }
        if request.oversized or len(request.body) > MAX_BODY_BYTES:
            return self.gateway_response("REQUEST_TOO_LARGE", request, context)
        found = match_route(self.api.routes, request.method, path)
        if found is None:
            return self.gateway_response("MISSING_AUTHENTICATION_TOKEN", request, context)
        route, params = found
        context["resourcePath"] = route.path
        context["resourceId"] = route.resource_id
        if route.mock is not None:
            return self._mock(route, request_id)
        if route.authorization == "CUSTOM" and route.authorizer is None:
            return self.gateway_response("AUTHORIZER_CONFIGURATION_ERROR", request, context)
        event = proxy_event(self.api, route, request, path, params, request_id, None)
        if route.authorizer is not None:
            arn = method_arn(self.api, request.method, path)
            try:
                verdict = run_authorizer(
                    route.authorizer,
                    self.api,
                    request,
                    event,
                    arn,
                    self.cache,
                    self.invoke,
                    self.integration_timeout_s,
                )
            except AuthorizerDenied as denied:
                return self.gateway_response(denied.response_type, request, context, denied.message)
            authorizer = {
                **verdict.context,
                "principalId": verdict.principal_id,
                "integrationLatency": verdict.latency_ms,
            }
            event["requestContext"]["authorizer"] = authorizer
            context["authorizer"] = authorizer
        assert route.function is not None
        outcome = self.invoke(
            route.function, event, self.integration_timeout_s, f"api {request.method} {path}"
        )
        if not outcome.ok:
            timed_out = (outcome.error or {}).get("errorType") == "Sandbox.Timedout"
            if timed_out and route.function.timeout_s > self.integration_timeout_s:
                return self.gateway_response("INTEGRATION_TIMEOUT", request, context)
            return self.gateway_response("DEFAULT_5XX", request, context, "Internal server error", 502)
        response = proxy_response(outcome.payload)
        if response is None:
            log.warning("%s returned a malformed proxy response", route.function.logical_id)
            return self.gateway_response("DEFAULT_5XX", request, context, "Internal server error", 502)
        response.headers += self._standard_headers(request_id)
        return response

    def gateway_response(
        self,
        response_type: str,
        request: HttpRequest,
        context: dict[str, Any],
        message: str | None = None,
        status: int | None = None,
    ) -> HttpResponse:
        rendered: RenderedResponse = render(
            self.api.responses,
            response_type,
            context,
            dict(request.headers),
            dict(parse_qsl(request.query, keep_blank_values=True)),
            self.api.stage_variables,
            message,
            status,
        )
        headers = list(rendered.headers.items()) + self._standard_headers(context["requestId"])
        return HttpResponse(rendered.status, headers, rendered.body)

    def _mock(self, route: Route, request_id: str) -> HttpResponse:
        assert route.mock is not None
        responses = route.mock.get("IntegrationResponses") or [{"StatusCode": "200"}]
        chosen = responses[0]
        headers = [
            (key[len("method.response.header.") :], str(value).strip("'"))
            for key, value in (chosen.get("ResponseParameters") or {}).items()
            if key.startswith("method.response.header.")
        ]
        body = ((chosen.get("ResponseTemplates") or {}).get("application/json") or "").encode()
        headers.append(("Content-Type", "application/json"))
        return HttpResponse(
            int(chosen.get("StatusCode", 200)), headers + self._standard_headers(request_id), body
        )

    def _strip_stage(self, path: str) -> str:
        prefix = f"/{self.api.stage}"
        if (path == prefix or path.startswith(prefix + "/")) and self.api.stage not in self._root_literals:
            path = path[len(prefix) :]
        return path or "/"

    @staticmethod
    def _standard_headers(request_id: str) -> list[tuple[str, str]]:
        return [
            ("x-amzn-RequestId", request_id),
            ("x-amz-apigw-id", request_id[:8] + "="),
            ("Date", formatdate(usegmt=True)),
        ]
