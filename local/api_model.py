"""The REST API as the template defines it (stage, routes, authorizers, gateway responses) and
route matching as API Gateway does it: literal segments beat `{param}`, which beats `{proxy+}`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from local.functions import FunctionSpec, function_by_arn
from local.gateway_responses import GatewayResponseSpec
from local.template import Resolver, Template, TemplateError

log = logging.getLogger("local.api_model")


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
