"""API Gateway's Lambda authorizers (TOKEN and REQUEST): identity sources, the cached policy, and
whether the returned policy allows the method ARN."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from local.api_model import ApiModel, AuthorizerSpec
from local.functions import FunctionSpec
from local.proxy import HttpRequest, header, header_value, wildcard_match
from local.runtime import InvokeResult
from local.template import ACCOUNT_ID, REGION

log = logging.getLogger("local.lambda_authorizer")

INTEGRATION_TIMEOUT_S = 29.0

Invoker = Callable[[FunctionSpec, Any, float, str], InvokeResult]


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
        if not any(wildcard_match(a, "execute-api:Invoke") for a in actions):
            continue
        if not any(wildcard_match(r, arn) for r in resources):
            continue
        effect = statement.get("Effect")
        if effect == "Deny":
            return False
        if effect == "Allow":
            allowed = True
    return True if allowed else None


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
            values.append(header(request.headers, source[len("method.request.header.") :]))
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
        context[str(key)] = header_value(value)
    return AuthResult(
        str(payload["principalId"]), payload["policyDocument"], context, int(outcome.duration_ms)
    )
