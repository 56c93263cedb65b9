"""What the profile use cases need from the outside world: the users table (and, to delete an
account, the identity table's credential and claims)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class ProfileStore(Protocol):
    def profile(self, user_id: str) -> dict[str, Any] | None: ...
    def update_profile(
        self, user_id: str, changes: Mapping[str, Any], removals: frozenset[str]
    ) -> dict[str, Any] | None: ...
    def delete_account(self, user_id: str, correlation_id: str) -> bool: ...
