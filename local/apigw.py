"""API Gateway REST API emulation: routes, proxy integration (event v1), authorizers, gateway responses."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl, unquote

from local.functions import FunctionSpec, function_by_arn
from local.gateway_responses import GatewayResponseSpec, RenderedResponse, render
from local.runtime import InvokeResult
from local.template import ACCOUNT_ID, REGION, Resolver, Template, TemplateError

log = logging.getLogger("local.apigw")

INTEGRATION_TIMEOUT_S = 29.0
MAX_BODY_BYTES = 10 * 1024 * 1024

Invoker = Callable[[FunctionSpec, Any, float, str], InvokeResult]


# --------------------------------------------------------------------------------------------------
# model
# --------------------------------------------------------------------------------------------------
@dataclass
class AuthorizerSpec:
    logical_id: str
    type: str  # TOKEN | REQUEST
    function: FunctionSpec
    identity_sources: list[str]
    validation: str | None
    ttl_s: int


@dataclass
class Route:
    api_id: str
    resource_id: str
    path: str  # resource path template, e.g. /orders/{orderId}
    method: str  # GET, POST, ..., ANY
    function: FunctionSpec | None
    authorization: str = "NONE"
    authorizer: AuthorizerSpec | None = None
    mock: dict[str, Any] | None = None
    segments: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.segments = [s for s in self.path.split("/") if s]


@dataclass
class ApiModel:
    api_id: str
    stage: str
    stage_variables: dict[str, str]
    routes: list[Route]
    responses: dict[str, GatewayResponseSpec]
    binary_media_types: list[str]


def load_api(template: Template, resolver: Resolver, functions: dict[str, FunctionSpec]) -> ApiModel | None:
    apis = list(template.of_type("AWS::ApiGateway::RestApi"))
    if not apis:
        return None
    if len(apis) > 1:
        log.warning("%d REST APIs in the template; serving their routes together", len(apis))
    api_ids = {str(resolver.ref(api.logical_id)): api for api in apis}
    first = apis[0]
    api_id = str(resolver.ref(first.logical_id))
    binary = [str(t).replace("~1", "/") for t in first.properties.get("BinaryMediaTypes") or []]

    paths: dict[str, str] = {}
    for api in apis:
        paths[str(resolver.get_att(api.logical_id, "RootResourceId"))] = "/"
    resources = {str(resolver.ref(r.logical_id)): r for r in template.of_type("AWS::ApiGateway::Resource")}

    def path_of(resource_id: str, depth: int = 0) -> str:
        if resource_id in paths:
            return paths[resource_id]
        resource = resources.get(resource_id)
        if resource is None or depth > 64:
            raise TemplateError(f"unknown API resource {resource_id}")
        parent = path_of(str(resolver.resolve(resource.properties["ParentId"])), depth + 1)
        path = parent.rstrip("/") + "/" + str(resolver.resolve(resource.properties["PathPart"]))
        paths[resource_id] = path
        return path

    authorizers: dict[str, AuthorizerSpec] = {}
    for auth in template.of_type("AWS::ApiGateway::Authorizer"):
        props = resolver.resolve(auth.properties)
        function = function_by_arn(functions, str(props.get("AuthorizerUri", "")))
        if function is None:
            log.warning("authorizer %s: its function is not served locally", auth.logical_id)
            continue
        kind = str(props.get("Type", "TOKEN")).upper()
        default_source = "method.request.header.Authorization" if kind == "TOKEN" else ""
        sources = [
            s.strip() for s in str(props.get("IdentitySource", default_source)).split(",") if s.strip()
        ]
        authorizers[str(resolver.ref(auth.logical_id))] = AuthorizerSpec(
            logical_id=auth.logical_id,
            type=kind,
            function=function,
            identity_sources=sources,
            validation=props.get("IdentityValidationExpression"),
            ttl_s=int(props.get("AuthorizerResultTtlInSeconds", 300)),
        )

    routes: list[Route] = []
    for method in template.of_type("AWS::ApiGateway::Method"):
        try:
            if not resolver.is_enabled(method):
                continue
            props = resolver.resolve(method.properties)
            path = path_of(str(props["ResourceId"]))
        except (TemplateError, KeyError) as exc:
            log.warning("method %s not served: %s", method.logical_id, exc)
            continue
        if str(props.get("RestApiId")) not in api_ids:
            continue
        integration = props.get("Integration") or {}
        kind = str(integration.get("Type", "")).upper()
        function = None
        mock = None
        if kind in ("AWS_PROXY", "AWS"):
            function = function_by_arn(functions, str(integration.get("Uri", "")))
            if function is None:
                log.warning(
                    "method %s %s: integration target is not served locally", props["HttpMethod"], path
                )
                continue
        elif kind == "MOCK":
            mock = integration
        else:
            log.info("method %s %s: %s integrations are not emulated", props["HttpMethod"], path, kind)
            continue
        authorization = str(props.get("AuthorizationType", "NONE")).upper()
        authorizer = None
        if authorization == "CUSTOM":
            authorizer = authorizers.get(str(props.get("AuthorizerId")))
            if authorizer is None:
                log.warning(
                    "method %s %s: authorizer not available; requests will fail", props["HttpMethod"], path
                )
        routes.append(
            Route(
                api_id=str(props.get("RestApiId")),
                resource_id=str(props["ResourceId"]),
                path=path,
                method=str(props["HttpMethod"]).upper(),
                function=function,
                authorization=authorization,
                authorizer=authorizer,
                mock=mock,
            )
        )

    stage, variables = "prod", {}
    for res in template.of_type("AWS::ApiGateway::Stage"):
        props = resolver.resolve(res.properties)
        if str(props.get("RestApiId")) == api_id:
            stage = str(props.get("StageName", stage))
            variables = {k: str(v) for k, v in (props.get("Variables") or {}).items()}
            break
    else:
        for res in template.of_type("AWS::ApiGateway::Deployment"):
            props = resolver.resolve(res.properties)
            if props.get("StageName"):
                stage = str(props["StageName"])

    responses: dict[str, GatewayResponseSpec] = {}
    for res in template.of_type("AWS::ApiGateway::GatewayResponse"):
        props = resolver.resolve(res.properties)
        if str(props.get("RestApiId")) != api_id:
            continue
        responses[str(props["ResponseType"])] = GatewayResponseSpec(
            response_type=str(props["ResponseType"]),
            status_code=int(props["StatusCode"]) if props.get("StatusCode") else None,
            parameters={k: str(v) for k, v in (props.get("ResponseParameters") or {}).items()},
            templates={k: str(v) for k, v in (props.get("ResponseTemplates") or {}).items()},
        )
    return ApiModel(api_id, stage, variables, routes, responses, binary)


# --------------------------------------------------------------------------------------------------
# routing
# --------------------------------------------------------------------------------------------------
def match_route(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The most specific route: literal segments beat `{param}`, which beats `{proxy+}`; method beats ANY."""
    segments = [unquote(s) for s in path.split("/") if s]
    best: tuple[tuple[int, ...], Route, dict[str, str]] | None = None
    for route in routes:
        if route.method not in (method, "ANY"):
            continue
        matched = _match_segments(route.segments, segments)
        if matched is None:
            continue
        rank, params = matched
        key = (*rank, 1 if route.method == "ANY" else 0)
        if best is None or key < best[0]:
            best = (key, route, params)
    return None if best is None else (best[1], best[2])


def _match_segments(pattern: list[str], segments: list[str]) -> tuple[tuple[int, ...], dict[str, str]] | None:
    params: dict[str, str] = {}
    rank: list[int] = []
    for i, part in enumerate(pattern):
        if part.startswith("{") and part.endswith("+}"):
            if i != len(pattern) - 1 or i >= len(segments):
                return None
            params[part[1:-2]] = "/".join(segments[i:])
            rank.append(2)
            return tuple(rank), params
        if i >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = segments[i]
            rank.append(1)
        elif part == segments[i]:
            rank.append(0)
        else:
            return None
    if len(pattern) != len(segments):
        return None
    return tuple(rank), params


# --------------------------------------------------------------------------------------------------
# requests
# --------------------------------------------------------------------------------------------------
@dataclass
class HttpRequest:
    method: str
    raw_path: str  # path as received, without the query string
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"
    oversized: bool = False  # the declared body exceeded MAX_BODY_BYTES and was not read


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def proxy_event(
    api: ApiModel,
    route: Route,
    request: HttpRequest,
    path: str,
    path_params: dict[str, str],
    request_id: str,
    authorizer: dict[str, Any] | None,
) -> dict[str, Any]:
    """The Lambda proxy integration event, version 1.0, as API Gateway REST APIs send it."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.query, keep_blank_values=True):
        query[name] = value
        multi_query.setdefault(name, []).append(value)
    content_type = _header(request.headers, "content-type") or ""
    binary = _is_binary(request.body, content_type, api.binary_media_types)
    if not request.body:
        body: str | None = None
    elif binary:
        body = base64.b64encode(request.body).decode()
    else:
        body = request.body.decode("utf-8")
    now = time.time()
    host = _header(request.headers, "host") or f"{api.api_id}.execute-api.{REGION}.amazonaws.com"
    request_context: dict[str, Any] = {
        "resourceId": route.resource_id,
        "resourcePath": route.path,
        "httpMethod": request.method,
        "extendedRequestId": base64.b64encode(uuid.uuid4().bytes[:12]).decode().rstrip("="),
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "path": f"/{api.stage}{path}",
        "accountId": ACCOUNT_ID,
        "protocol": request.protocol,
        "stage": api.stage,
        "domainPrefix": host.split(".")[0].split(":")[0],
        "requestTimeEpoch": int(now * 1000),
        "requestId": request_id,
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": request.source_ip,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": _header(request.headers, "user-agent"),
            "user": None,
        },
        "domainName": host,
        "apiId": api.api_id,
    }
    if authorizer is not None:
        request_context["authorizer"] = authorizer
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_params or None,
        "stageVariables": api.stage_variables or None,
        "requestContext": request_context,
        "body": body,
        "isBase64Encoded": binary and bool(request.body),
    }


def proxy_response(payload: Any) -> HttpResponse | None:
    """Maps a Lambda proxy response; None when it is malformed (API Gateway answers 502)."""
    if not isinstance(payload, dict):
        return None
    allowed = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"}
    if set(payload) - allowed:
        return None
    try:
        status = int(payload.get("statusCode", 200))
    except (TypeError, ValueError):
        return None
    body = payload.get("body")
    if body is not None and not isinstance(body, str):
        return None
    headers: list[tuple[str, str]] = []
    single = payload.get("headers") or {}
    multi = payload.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        return None
    for name, values in multi.items():
        for value in values if isinstance(values, list) else [values]:
            headers.append((str(name), _header_value(value)))
    multi_names = {n.lower() for n in multi}
    for name, value in single.items():
        if name.lower() not in multi_names:
            headers.append((str(name), _header_value(value)))
    if payload.get("isBase64Encoded") and body:
        try:
            data = base64.b64decode(body)
        except ValueError:
            return None
    else:
        data = (body or "").encode()
    if not any(n.lower() == "content-type" for n, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return HttpResponse(status, headers, data)


# --------------------------------------------------------------------------------------------------
# authorizer
# --------------------------------------------------------------------------------------------------
class AuthorizerDenied(Exception):
    def __init__(self, response_type: str, message: str | None = None) -> None:
        super().__init__(response_type)
        self.response_type = response_type
        self.message = message


def method_arn(api: ApiModel, method: str, path: str) -> str:
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api.api_id}/{api.stage}/{method}{path}"


def policy_allows(policy: Any, arn: str) -> bool | None:
    """True (allowed), False (explicitly denied) or None (no statement allows it)."""
    if not isinstance(policy, dict):
        raise ValueError("policyDocument must be an object")
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        raise ValueError("policyDocument.Statement missing")
    allowed = False
    for statement in statements:
        actions = _as_list(statement.get("Action"))
        resources = _as_list(statement.get("Resource"))
        if not any(_wildcard(a, "execute-api:Invoke") for a in actions):
            continue
        if not any(_wildcard(r, arn) for r in resources):
            continue
        effect = statement.get("Effect")
        if effect == "Deny":
            return False
        if effect == "Allow":
            allowed = True
    return True if allowed else None


def _wildcard(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in str(pattern))
    return (
        re.fullmatch(regex, value, flags=re.IGNORECASE if str(pattern).startswith("execute-api") else 0)
        is not None
    )


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@dataclass
class AuthResult:
    principal_id: str
    policy: dict[str, Any]
    context: dict[str, str]
    latency_ms: int


class AuthorizerCache:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, ...], tuple[float, AuthResult]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> AuthResult | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self._entries[key]
                return None
            return entry[1]

    def put(self, key: tuple[str, ...], ttl_s: int, result: AuthResult) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl_s, result)


def identity_values(
    auth: AuthorizerSpec, request: HttpRequest, api: ApiModel, request_context: dict[str, Any]
) -> list[str | None]:
    query = dict(parse_qsl(request.query, keep_blank_values=True))
    values: list[str | None] = []
    for source in auth.identity_sources:
        if source.startswith("method.request.header."):
            values.append(_header(request.headers, source[len("method.request.header.") :]))
        elif source.startswith("method.request.multivalueheader."):
            name = source[len("method.request.multivalueheader.") :].lower()
            found = [v for n, v in request.headers if n.lower() == name]
            values.append(",".join(found) if found else None)
        elif source.startswith("method.request.querystring."):
            values.append(query.get(source[len("method.request.querystring.") :]))
        elif source.startswith("method.request.multivaluequerystring."):
            name = source[len("method.request.multivaluequerystring.") :]
            found = [v for n, v in parse_qsl(request.query, keep_blank_values=True) if n == name]
            values.append(",".join(found) if found else None)
        elif source.startswith("stageVariables."):
            values.append(api.stage_variables.get(source[len("stageVariables.") :]))
        elif source.startswith("context."):
            node: Any = request_context
            for part in source[len("context.") :].split("."):
                node = node.get(part) if isinstance(node, dict) else None
            values.append(None if node is None else str(node))
        else:
            values.append(None)
    return values


def run_authorizer(
    auth: AuthorizerSpec,
    api: ApiModel,
    request: HttpRequest,
    event: dict[str, Any],
    arn: str,
    cache: AuthorizerCache,
    invoke: Invoker,
    timeout_s: float = INTEGRATION_TIMEOUT_S,
) -> AuthResult:
    """Returns the authorizer's verdict for this method ARN, or raises AuthorizerDenied."""
    values = identity_values(auth, request, api, event["requestContext"])
    if auth.identity_sources and any(not v for v in values):
        raise AuthorizerDenied("UNAUTHORIZED")
    if auth.type == "TOKEN" and auth.validation and not re.fullmatch(auth.validation, values[0] or ""):
        raise AuthorizerDenied("UNAUTHORIZED")
    key = (auth.logical_id, *(v or "" for v in values))
    result = cache.get(key) if auth.ttl_s > 0 and auth.identity_sources else None
    if result is None:
        if auth.type == "TOKEN":
            auth_event: dict[str, Any] = {"type": "TOKEN", "authorizationToken": values[0], "methodArn": arn}
        else:
            auth_event = {
                "type": "REQUEST",
                "methodArn": arn,
                **{
                    k: event[k]
                    for k in (
                        "resource",
                        "path",
                        "httpMethod",
                        "headers",
                        "multiValueHeaders",
                        "queryStringParameters",
                        "multiValueQueryStringParameters",
                        "pathParameters",
                        "stageVariables",
                        "requestContext",
                    )
                },
            }
        outcome = invoke(auth.function, auth_event, timeout_s, f"authorizer {request.method} {event['path']}")
        if not outcome.ok:
            message = (outcome.error or {}).get("errorMessage")
            if message == "Unauthorized":
                raise AuthorizerDenied("UNAUTHORIZED")
            raise AuthorizerDenied("AUTHORIZER_FAILURE")
        result = _parse_auth_result(outcome)
        if auth.ttl_s > 0 and auth.identity_sources:
            cache.put(key, auth.ttl_s, result)
    try:
        verdict = policy_allows(result.policy, arn)
    except ValueError as exc:
        raise AuthorizerDenied("AUTHORIZER_CONFIGURATION_ERROR") from exc
    if verdict is False:
        raise AuthorizerDenied(
            "ACCESS_DENIED", "User is not authorized to access this resource with an explicit deny"
        )
    if verdict is None:
        raise AuthorizerDenied("ACCESS_DENIED", "User is not authorized to access this resource")
    return result


def _parse_auth_result(outcome: InvokeResult) -> AuthResult:
    payload = outcome.payload
    if not isinstance(payload, dict) or "principalId" not in payload or "policyDocument" not in payload:
        raise AuthorizerDenied("AUTHORIZER_CONFIGURATION_ERROR")
    context: dict[str, str] = {}
    for key, value in (payload.get("context") or {}).items():
        if isinstance(value, (dict, list)):
            raise AuthorizerDenied("AUTHORIZER_CONFIGURATION_ERROR")
        context[str(key)] = _header_value(value)
    return AuthResult(
        str(payload["principalId"]), payload["policyDocument"], context, int(outcome.duration_ms)
    )


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
            "identity": {"sourceIp": request.source_ip, "userAgent": _header(request.headers, "user-agent")},
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


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers:
        if key.lower() == lowered:
            return value
    return None


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_binary(body: bytes, content_type: str, binary_types: list[str]) -> bool:
    if not body:
        return False
    media = content_type.split(";")[0].strip().lower()
    for pattern in binary_types:
        if pattern == "*/*" or _wildcard(pattern.lower(), media):
            return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def json_dumps(value: Any) -> bytes:
    return json.dumps(value).encode()
