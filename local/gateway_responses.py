"""API Gateway gateway responses: the template's customizations over API Gateway's built-in defaults."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

# response type -> (default status, default message, x-amzn-ErrorType)
BUILT_IN: dict[str, tuple[int, str | None, str]] = {
    "ACCESS_DENIED": (403, "User is not authorized to access this resource", "AccessDeniedException"),
    "API_CONFIGURATION_ERROR": (500, "Internal server error", "InternalServerErrorException"),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, None, "AuthorizerConfigurationException"),
    "AUTHORIZER_FAILURE": (500, None, "AuthorizerConfigurationException"),
    "BAD_REQUEST_PARAMETERS": (400, "Missing required request parameters", "BadRequestException"),
    "BAD_REQUEST_BODY": (400, "Invalid request body", "BadRequestException"),
    "EXPIRED_TOKEN": (403, "The security token included in the request is expired", "ExpiredTokenException"),
    "INTEGRATION_FAILURE": (504, "Internal server error", "InternalServerErrorException"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out", "InternalServerErrorException"),
    "INVALID_API_KEY": (403, "Forbidden", "ForbiddenException"),
    "INVALID_SIGNATURE": (403, "Invalid signature", "InvalidSignatureException"),
    "MISSING_AUTHENTICATION_TOKEN": (
        403,
        "Missing Authentication Token",
        "MissingAuthenticationTokenException",
    ),
    "QUOTA_EXCEEDED": (429, "Limit Exceeded", "LimitExceededException"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long", "RequestTooLargeException"),
    "RESOURCE_NOT_FOUND": (404, "Not Found", "NotFoundException"),
    "THROTTLED": (429, "Too Many Requests", "TooManyRequestsException"),
    "UNAUTHORIZED": (401, "Unauthorized", "UnauthorizedException"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "Unsupported Media Type", "UnsupportedMediaTypeException"),
    "WAF_FILTERED": (403, "Forbidden", "WAFFilteredException"),
    "DEFAULT_4XX": (400, "Bad Request", "BadRequestException"),
    "DEFAULT_5XX": (500, "Internal server error", "InternalServerErrorException"),
}

DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'

_VARIABLE = re.compile(r"\$!?(?:\{([A-Za-z_][\w.]*)\}|([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*))")


@dataclass
class GatewayResponseSpec:
    response_type: str
    status_code: int | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)


@dataclass
class RenderedResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def render_vtl(text: str, variables: dict[str, Any]) -> str:
    """The tiny VTL subset gateway responses use: `$context.x.y`, `${context.x}`, `$stageVariables.x`."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        node: Any = variables
        for part in name.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return (
                    ""
                    if match.group(0).startswith("$!") or name.split(".")[0] in variables
                    else match.group(0)
                )
        if node is None:
            return ""
        if isinstance(node, bool):
            return "true" if node else "false"
        return str(node)

    return _VARIABLE.sub(replace, text)


def render(
    specs: dict[str, GatewayResponseSpec],
    response_type: str,
    context: dict[str, Any],
    request_headers: dict[str, str],
    request_query: dict[str, str],
    stage_variables: dict[str, str],
    message: str | None = None,
    status_override: int | None = None,
) -> RenderedResponse:
    default_status, default_message, error_type = BUILT_IN.get(response_type, BUILT_IN["DEFAULT_4XX"])
    text = default_message if message is None else message
    status = status_override or default_status
    fallback = "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"
    spec = specs.get(response_type) or specs.get(fallback)
    if spec is not None and spec.status_code and response_type in specs:
        status = spec.status_code
    error = {
        "message": "" if text is None else text,
        "messageString": json.dumps(text),
        "responseType": response_type,
        "validationErrorString": "",
    }
    variables = {"context": {**context, "error": error}, "stageVariables": stage_variables}
    template = (spec.templates.get("application/json") if spec else None) or DEFAULT_TEMPLATE
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": error_type}
    lowered = {k.lower(): v for k, v in request_headers.items()}
    for key, source in (spec.parameters if spec else {}).items():
        if not key.startswith("gatewayresponse.header."):
            continue
        name = key[len("gatewayresponse.header.") :]
        value = _parameter_value(str(source), lowered, request_query, stage_variables, variables["context"])
        if value is not None:
            headers[name] = value
    body = render_vtl(template, variables).encode()
    return RenderedResponse(status, headers, body)


def _parameter_value(
    source: str,
    headers: dict[str, str],
    query: dict[str, str],
    stage_variables: dict[str, str],
    context: dict[str, Any],
) -> str | None:
    if len(source) >= 2 and source.startswith("'") and source.endswith("'"):
        return source[1:-1]
    if source.startswith("method.request.header."):
        return headers.get(source[len("method.request.header.") :].lower())
    if source.startswith("method.request.querystring."):
        return query.get(source[len("method.request.querystring.") :])
    if source.startswith("stageVariables."):
        return stage_variables.get(source[len("stageVariables.") :])
    if source.startswith("context."):
        node: Any = context
        for part in source[len("context.") :].split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return None if node is None else str(node)
    return None
