"""Who is calling: the authenticated caller, as the API's Lambda authorizer asserted it.

A plain value, so use cases can take it without knowing HTTP; `commerce.api.current_caller()`
reads it from the request (the authorizer context is the only source of identity a handler trusts).
"""

from __future__ import annotations

from dataclasses import dataclass

ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class Caller:
    user_id: str
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles
