"""Lambda proxy integration (payload v1): the event API Gateway builds from an HTTP request, and
the HTTP response it makes of what the function returns."""

from __future__ import annotations

import base64
import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from local.api_model import ApiModel, Route
from local.template import ACCOUNT_ID, REGION

log = logging.getLogger("local.proxy")

MAX_BODY_BYTES = 10 * 1024 * 1024


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
    content_type = header(request.headers, "content-type") or ""
    binary = is_binary(request.body, content_type, api.binary_media_types)
    if not request.body:
        body: str | None = None
    elif binary:
        body = base64.b64encode(request.body).decode()
    else:
        body = request.body.decode("utf-8")
    now = time.time()
    host = header(request.headers, "host") or f"{api.api_id}.execute-api.{REGION}.amazonaws.com"
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
            "userAgent": header(request.headers, "user-agent"),
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
            headers.append((str(name), header_value(value)))
    multi_names = {n.lower() for n in multi}
    for name, value in single.items():
        if name.lower() not in multi_names:
            headers.append((str(name), header_value(value)))
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


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers:
        if key.lower() == lowered:
            return value
    return None


def header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_binary(body: bytes, content_type: str, binary_types: list[str]) -> bool:
    if not body:
        return False
    media = content_type.split(";")[0].strip().lower()
    for pattern in binary_types:
        if pattern == "*/*" or wildcard_match(pattern.lower(), media):
            return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def wildcard_match(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in str(pattern))
    return (
        re.fullmatch(regex, value, flags=re.IGNORECASE if str(pattern).startswith("execute-api") else 0)
        is not None
    )
