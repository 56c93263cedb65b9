"""The domain errors: what a rule says when it refuses, in the services' own words.

Use cases and domain code raise these (or a service's subclass of one, e.g. `EmailTaken(Conflict)`)
and nothing else; they know no HTTP. The shared resolver maps each kind to an RFC 9457 problem in one
table (`commerce.api.PROBLEM_STATUS`), and a consumer treats them like any other failure. `detail`
is shown to the caller, so it never carries a secret, a table name or personal data.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule refused the request; `detail` says why, for the caller."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class MalformedRequest(DomainError):
    """The request cannot be read as given: a tampered cursor, a missing Idempotency-Key."""


class NotAuthenticated(DomainError):
    """Who the caller is cannot be established: wrong credentials, a spent token, a deleted account."""


class NotPermitted(DomainError):
    """The caller is known, but may not do this."""


class NotFound(DomainError):
    """No such thing, or nothing the caller may learn exists."""


class Conflict(DomainError):
    """The current state does not allow it: a status, a concurrent change, a name already taken."""


class Rejected(DomainError):
    """Well-formed, but against a rule; `errors` point at the offending input (`{loc, msg}`)."""

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []


class RateLimited(DomainError):
    """Too many attempts; try again after `retry_after_seconds`."""

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = max(1, int(retry_after_seconds))
