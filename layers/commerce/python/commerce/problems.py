"""RFC 9457 problem details: the one error shape every route returns (`application/problem+json`).

A `Problem` is what the caller sees: a status, a title, a `detail`, for validation `errors`, and the
headers that go with it (`WWW-Authenticate`, `Retry-After`). The shared resolver (`commerce.api`)
makes them from domain errors (one table), from request-validation failures and from its body
guard; nothing else builds one. Details never carry secrets, table names or stack traces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"
VALIDATION_ERROR_TYPE = "https://commerce.example/problems/validation-error"


@dataclass(frozen=True)
class Problem:
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return problem_body(self.status, self.detail, errors=self.errors)


def problem_body(status: int, detail: str, *, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": VALIDATION_ERROR_TYPE if status == 422 else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return body
