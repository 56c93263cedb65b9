"""The shared resolver: the HTTP edge every API function is built on.

    app = make_resolver()                 # Powertools' REST resolver, pydantic validation on

    @app.get("/products/<productId>", ...)
    def get_product(productId: ...) -> Response[str]:
        return json_response(200, catalog().get_product(productId))

    lambda_handler = http_handler(app)    # Logger, Tracer, Metrics and the correlation id, once

Errors are RFC 9457 problem+json, decided here and nowhere else: a domain error
(`commerce.errors`) becomes the problem of its kind (`PROBLEM_STATUS`, the one table); request
validation → 422 with `errors:[{loc,msg}]`; the body edge (`commerce.request_body`, before anything
parses): malformed JSON → 400, a body over 64 KiB → 413, a body that is not JSON → 415, JSON too deep,
too wide or not an object → 422; an unknown route → 404, anything unexpected → 500 without internals.

The correlation id of a request is the caller's `X-Correlation-Id` when it is a sane one, else API
Gateway's request id: it goes on every log line, the trace, the events the request records (use
cases get it from `correlation_id(app)`), and back to the caller in the `X-Correlation-Id` header.

`current_caller()` reads the caller from the Lambda authorizer's context — the only source of
identity a handler may trust.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths

from commerce.caller import Caller
from commerce.dynamodb import throttled
from commerce.errors import (
    Conflict,
    DomainError,
    MalformedRequest,
    NotAuthenticated,
    NotFound,
    NotPermitted,
    RateLimited,
    Rejected,
)
from commerce.observability import instrumented, logger, tracer
from commerce.problems import PROBLEM_CONTENT_TYPE, Problem
from commerce.request_body import BodyRefused, header, read_body, with_json_media_type

#: `security=` of a route behind the Lambda authorizer refers to this scheme (docs/openapi.json).
SECURITY_SCHEMES: dict[str, Any] = {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
JSON_CONTENT_TYPE = "application/json"
CORRELATION_HEADER = "X-Correlation-Id"
MAX_CORRELATION_ID_CHARS = 128
#: What a browser page may send and read (the same lists as the gateway's preflight,
#: cdk/constructs/api.py); the allowed origins come from `CORS_ORIGINS`, set by the stack.
CORS_ALLOW_HEADERS = ["Idempotency-Key", "If-None-Match", CORRELATION_HEADER]
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After", CORRELATION_HEADER]


def cors_config(origins: str | None = None) -> CORSConfig | None:
    """Powertools' CORS for the stage's allowed origins (comma-separated; none → no CORS headers)."""
    allowed = [
        o for o in (origins if origins is not None else os.environ.get("CORS_ORIGINS", "")).split(",") if o
    ]
    if not allowed:
        return None
    return CORSConfig(
        allow_origin=allowed[0],
        extra_origins=allowed[1:],
        allow_headers=CORS_ALLOW_HEADERS,
        expose_headers=CORS_EXPOSE_HEADERS,
        max_age=600,
    )


#: The `cursor` query parameter of every list route. No length or pattern here: anything the query
#: model refused would be a 422, while a bad cursor — however long — is a 400 (CONTRACT §1), which
#: `commerce.cursor.decode_cursor` decides.
CursorQuery = Annotated[str | None, Query(description="nextCursor of the previous page (opaque)")]

BUSY_DETAIL = "The service is busy; try again shortly."
BUSY_RETRY_AFTER_SECONDS = 1

#: The one place a domain error becomes HTTP: its kind → the status of its problem.
PROBLEM_STATUS: dict[type[DomainError], int] = {
    MalformedRequest: 400,
    NotAuthenticated: 401,
    NotPermitted: 403,
    NotFound: 404,
    Conflict: 409,
    Rejected: 422,
    RateLimited: 429,
}


def problem_for(error: DomainError) -> Problem:
    """The problem a domain error is shown as (its nearest kind in `PROBLEM_STATUS`)."""
    status = next((PROBLEM_STATUS[kind] for kind in type(error).__mro__ if kind in PROBLEM_STATUS), 500)
    headers: dict[str, str] = {}
    if isinstance(error, NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after_seconds)
    errors = error.errors or None if isinstance(error, Rejected) else None
    return Problem(status, error.detail, errors=errors, headers=headers)


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


def body_problem(event: Mapping[str, Any], *, raw: bool = False) -> tuple[Problem | None, Any]:
    """The request-body edge (`commerce.request_body`), before any parsing by Powertools or pydantic:
    (the problem to answer with, or None; the event to resolve, its Content-Type made canonical)."""
    try:
        read_body(event, parse=not raw)
    except BodyRefused as refused:
        return Problem(refused.status, refused.detail, errors=refused.errors), event
    if event.get("body") and header(event, "content-type"):
        return None, with_json_media_type(event)
    return None, event


class CommerceResolver(APIGatewayRestResolver):
    """Powertools' REST resolver with the body guard applied before validation parses anything.

    `raw_body=True` (a route that verifies the bytes it was sent, e.g. a signed webhook): size and
    media type only; the route parses the body itself once it trusts it."""

    def __init__(self, *, raw_body: bool = False, **kwargs: Any) -> None:
        super().__init__(cors=cors_config(), **kwargs)
        self.raw_body = raw_body

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        problem, event = body_problem(event, raw=self.raw_body)
        if problem is not None:
            cors = self._cors.to_dict(header(event, "origin")) if self._cors else {}
            return {
                "statusCode": problem.status,
                "multiValueHeaders": {"Content-Type": [PROBLEM_CONTENT_TYPE]}
                | {k: [v] for k, v in cors.items()},
                "body": json.dumps(problem.body()),
                "isBase64Encoded": False,
            }
        return super().resolve(event, context)


def make_resolver(*, enable_validation: bool = True, raw_body: bool = False) -> CommerceResolver:
    """A REST resolver wired for problem+json errors and request-body guards."""
    app = CommerceResolver(enable_validation=enable_validation, raw_body=raw_body)
    # Documentation only (the OpenAPI merge, tools/openapi.py): routes name the bearer scheme.
    app.configure_openapi(security_schemes=SECURITY_SCHEMES)

    @app.exception_handler(RequestValidationError)
    def _on_validation_error(exc: RequestValidationError) -> Response[str]:
        malformed, errors = _validation_errors(exc)
        if malformed:
            return problem_response(Problem(400, "The request body is not valid JSON."))
        return problem_response(
            Problem(422, "The request does not match the expected schema.", errors=errors)
        )

    @app.exception_handler(RequestUnsupportedContentType)
    def _on_unsupported_content_type(_exc: RequestUnsupportedContentType) -> Response[str]:
        return problem_response(Problem(415, "The request body must be application/json."))

    @app.exception_handler(DomainError)
    def _on_domain_error(exc: DomainError) -> Response[str]:
        return problem_response(problem_for(exc))

    @app.not_found
    def _on_not_found(_exc: Exception) -> Response[str]:
        return problem_response(Problem(404, "No such resource."))

    @app.exception_handler(Exception)
    def _on_unexpected(exc: Exception) -> Response[str]:
        if throttled(exc):
            # DynamoDB refused for capacity even after the SDK's and our retries (a hot partition
            # in a flash sale): the caller may retry, so say so (429 + Retry-After), not 5xx.
            logger.warning("throttled by DynamoDB", extra={"error_type": type(exc).__name__})
            return problem_response(
                Problem(429, BUSY_DETAIL, headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)})
            )
        # Logged with its stack for operators; the caller sees nothing internal.
        logger.exception("unhandled error", extra={"error_type": type(exc).__name__})
        return problem_response(Problem(500, "An unexpected error occurred. It has been logged."))

    return app


def request_correlation_id(event: Mapping[str, Any]) -> str:
    """The caller's `X-Correlation-Id` (any case) when it is 1-128 printable characters, else the
    API Gateway request id."""
    headers = event.get("headers") or {}
    supplied = next((v for k, v in headers.items() if str(k).lower() == "x-correlation-id"), None)
    if isinstance(supplied, str) and 0 < len(supplied) <= MAX_CORRELATION_ID_CHARS and supplied.isprintable():
        return supplied
    return str((event.get("requestContext") or {}).get("requestId") or "")


def correlation_id(app: APIGatewayRestResolver) -> str:
    """The current request's correlation id (see `request_correlation_id`)."""
    return request_correlation_id(app.current_event.raw_event)


Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def http_handler(app: APIGatewayRestResolver) -> Handler:
    """The `lambda_handler` of an API function: `app.resolve` inside the shared instrumentation,
    with the request's correlation id in the logs, the trace and the response's headers."""

    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        correlation = request_correlation_id(event)
        if correlation:
            logger.set_correlation_id(correlation)
            tracer.put_annotation(key="correlation_id", value=correlation)
        response = app.resolve(event, context)
        if correlation:
            if "multiValueHeaders" in response or "headers" not in response:
                response.setdefault("multiValueHeaders", {})[CORRELATION_HEADER] = [correlation]
            else:
                response["headers"][CORRELATION_HEADER] = correlation
        return response

    return instrumented(
        lambda_handler,
        correlation_id_path=correlation_paths.API_GATEWAY_REST,
        warm_up=lambda: warm_up_requests(app),
    )


def warm_up_requests(app: APIGatewayRestResolver) -> list[dict[str, Any]]:
    """One synthetic API Gateway request per route of `app`, for SnapStart priming
    (commerce.snapstart): a JSON body `{}` on methods that take one, every path parameter set and an
    admin caller in the authorizer context, so each route's validation and handler run up to the
    use case (which priming replaces with a stand-in that refuses)."""
    from commerce.snapstart import PRIMING_CALLER

    # Powertools keeps the registered routes in these two lists (no public accessor).
    routes = [*app._static_routes, *app._dynamic_routes]
    events = []
    for route in routes:
        names = re.findall(r"<(\w+)>", route.path)
        path = re.sub(r"<(\w+)>", PRIMING_CALLER, route.path)
        resource = re.sub(r"<(\w+)>", r"{\1}", route.path)
        headers = {"Content-Type": JSON_CONTENT_TYPE, CORRELATION_HEADER: PRIMING_CALLER}
        events.append(
            {
                "resource": resource,
                "path": path,
                "httpMethod": route.method,
                "headers": headers,
                "multiValueHeaders": {name: [value] for name, value in headers.items()},
                "queryStringParameters": None,
                "multiValueQueryStringParameters": None,
                "pathParameters": dict.fromkeys(names, PRIMING_CALLER) or None,
                "stageVariables": None,
                "requestContext": {
                    "requestId": PRIMING_CALLER,
                    "resourcePath": resource,
                    "httpMethod": route.method,
                    "path": path,
                    "stage": "priming",
                    "identity": {"sourceIp": "127.0.0.1"},
                    "authorizer": {"principalId": PRIMING_CALLER, "userId": PRIMING_CALLER, "roles": "admin"},
                },
                "body": "{}" if route.method in ("POST", "PUT", "PATCH") else None,
                "isBase64Encoded": False,
            }
        )
    return events


def current_caller(app: APIGatewayRestResolver) -> Caller:
    """The caller from `requestContext.authorizer` ({userId, roles}); 401 when absent."""
    context = app.current_event.raw_event.get("requestContext", {}).get("authorizer") or {}
    user_id = context.get("userId")
    if not user_id:
        raise NotAuthenticated("Missing, invalid or expired credentials.")
    roles = frozenset(role for role in str(context.get("roles", "")).split(",") if role)
    return Caller(user_id=str(user_id), roles=roles)


def require_admin(app: APIGatewayRestResolver) -> Caller:
    caller = current_caller(app)
    if not caller.is_admin:
        raise NotPermitted("This operation requires the admin role.")
    return caller
