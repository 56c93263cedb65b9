"""RFC 9457 problem details: the one error shape every route returns.

Domain and adapter code raise these exceptions; the resolver built by `commerce.api` turns them
into `application/problem+json` responses. Details must never carry secrets, table names or
stack traces.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Problem(Exception):
    """An error with an HTTP status that is safe to show to the caller."""

    status: int = 500
    type_uri: str = "about:blank"

    def __init__(
        self,
        detail: str,
        *,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.title = title or HTTPStatus(self.status).phrase
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return problem_body(
            self.status, self.detail, title=self.title, type_uri=self.type_uri, errors=self.errors
        )


class BadRequest(Problem):
    status = 400


class Unauthorized(Problem):
    status = 401

    def __init__(self, detail: str = "Missing, invalid or expired credentials.", **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class Forbidden(Problem):
    status = 403


class NotFound(Problem):
    status = 404


class Conflict(Problem):
    status = 409


class PayloadTooLarge(Problem):
    status = 413


class UnsupportedMediaType(Problem):
    status = 415


class Unprocessable(Problem):
    status = 422
    type_uri = "https://commerce.example/problems/validation-error"


class TooManyRequests(Problem):
    status = 429

    def __init__(self, detail: str, *, retry_after_seconds: int, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.headers["Retry-After"] = str(max(1, int(retry_after_seconds)))


def problem_body(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type_uri: str = "about:blank",
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": type_uri,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return body
