"""The HTTP plumbing every API function shares.

`make_resolver()` returns a Powertools REST resolver with pydantic validation and a single error
language (RFC 9457 problem+json): validation → 422 with `errors:[{loc,msg}]`, malformed JSON → 400,
body over 64 KiB → 413, non-JSON body → 415, anything unexpected → 500 without internals.
`current_identity()` reads the caller from the Lambda authorizer's context — the only source of
identity a handler may trust.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from commerce.observability import logger
from commerce.problems import (
    PROBLEM_CONTENT_TYPE,
    BadRequest,
    Forbidden,
    PayloadTooLarge,
    Problem,
    Unauthorized,
    Unprocessable,
    UnsupportedMediaType,
    problem_body,
)

MAX_BODY_BYTES = 64 * 1024
JSON_CONTENT_TYPE = "application/json"


def problem_response(problem: Problem) -> Response[str]:
    return Response(
        status_code=problem.status,
        content_type=PROBLEM_CONTENT_TYPE,
        body=json.dumps(problem.body()),
        headers=dict(problem.headers),
    )


def json_response(status_code: int, body: Any, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status_code,
        content_type=JSON_CONTENT_TYPE,
        body=json.dumps(body, separators=(",", ":")),
        headers=headers,
    )


def _validation_errors(exc: RequestValidationError) -> tuple[bool, list[dict[str, Any]]]:
    malformed = False
    errors: list[dict[str, Any]] = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            malformed = True
        loc = [str(part) for part in error.get("loc", ())]
        errors.append({"loc": loc, "msg": str(error.get("msg", "invalid"))})
    return malformed, errors


def body_problem(event: Mapping[str, Any]) -> Problem | None:
    """413 for a body over 64 KiB, 415 for a body that is not JSON; checked before any parsing."""
    body = event.get("body")
    if not body:
        return None
    size = len(body.encode()) if isinstance(body, str) else len(body)
    if event.get("isBase64Encoded"):
        size = size * 3 // 4
    if size > MAX_BODY_BYTES:
        return PayloadTooLarge(f"The request body exceeds {MAX_BODY_BYTES} bytes.")
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    media_type = str(headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media_type and media_type != JSON_CONTENT_TYPE and not media_type.endswith("+json"):
        return UnsupportedMediaType("The request body must be application/json.")
    if event.get("isBase64Encoded"):
        return UnsupportedMediaType("The request body must be UTF-8 JSON text.")
    return None


class CommerceResolver(APIGatewayRestResolver):
    """Powertools' REST resolver with the body guard applied before validation parses anything."""

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        problem = body_problem(event)
        if problem is not None:
            return {
                "statusCode": problem.status,
                "multiValueHeaders": {"Content-Type": [PROBLEM_CONTENT_TYPE]},
                "body": json.dumps(problem.body()),
                "isBase64Encoded": False,
            }
        return super().resolve(event, context)


def make_resolver(*, enable_validation: bool = True) -> CommerceResolver:
    """A REST resolver wired for problem+json errors and request-body guards."""
    app = CommerceResolver(enable_validation=enable_validation)

    @app.exception_handler(RequestValidationError)
    def _on_validation_error(exc: RequestValidationError) -> Response[str]:
        malformed, errors = _validation_errors(exc)
        if malformed:
            return problem_response(BadRequest("The request body is not valid JSON."))
        return problem_response(
            Unprocessable("The request does not match the expected schema.", errors=errors)
        )

    @app.exception_handler(RequestUnsupportedContentType)
    def _on_unsupported_content_type(_exc: RequestUnsupportedContentType) -> Response[str]:
        return problem_response(UnsupportedMediaType("The request body must be application/json."))

    @app.exception_handler(Problem)
    def _on_problem(exc: Problem) -> Response[str]:
        return problem_response(exc)

    @app.not_found
    def _on_not_found(_exc: Exception) -> Response[str]:
        return Response(
            status_code=404,
            content_type=PROBLEM_CONTENT_TYPE,
            body=json.dumps(problem_body(404, "No such resource.")),
        )

    @app.exception_handler(Exception)
    def _on_unexpected(exc: Exception) -> Response[str]:
        # Logged with its stack for operators; the caller sees nothing internal.
        logger.exception("unhandled error", extra={"error_type": type(exc).__name__})
        return Response(
            status_code=500,
            content_type=PROBLEM_CONTENT_TYPE,
            body=json.dumps(problem_body(500, "An unexpected error occurred. It has been logged.")),
        )

    return app


@dataclass(frozen=True)
class Identity:
    """The authenticated caller, as asserted by the Lambda authorizer."""

    user_id: str
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


def current_identity(app: APIGatewayRestResolver) -> Identity:
    """The caller from `requestContext.authorizer` ({userId, roles}); 401 when absent."""
    context = app.current_event.raw_event.get("requestContext", {}).get("authorizer") or {}
    user_id = context.get("userId")
    if not user_id:
        raise Unauthorized()
    roles = frozenset(role for role in str(context.get("roles", "")).split(",") if role)
    return Identity(user_id=str(user_id), roles=roles)


def require_admin(app: APIGatewayRestResolver) -> Identity:
    identity = current_identity(app)
    if not identity.is_admin:
        raise Forbidden("This operation requires the admin role.")
    return identity


def correlation_id(app: APIGatewayRestResolver) -> str:
    """The request's correlation id: the API Gateway request id (or a caller-supplied one)."""
    event = app.current_event
    supplied = event.headers.get("x-correlation-id") or event.headers.get("X-Correlation-Id")
    if supplied and len(supplied) <= 128 and supplied.isprintable():
        return supplied
    return str(event.request_context.request_id or "")
