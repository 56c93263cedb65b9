"""Profile rules: what a profile looks like to its owner or an admin, and what a PATCH may change.

No boto3 here; the store is a port (`ProfileStore`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from commerce.api import Identity
from commerce.problems import Forbidden, NotFound, Unauthorized, Unprocessable

PUBLIC_FIELDS = ("userId", "email", "name", "phone", "shippingAddress", "roles", "createdAt")
REMOVABLE_FIELDS = frozenset({"phone", "shippingAddress"})


class ProfileStore(Protocol):
    def profile(self, user_id: str) -> dict[str, Any] | None: ...
    def update_profile(
        self, user_id: str, changes: Mapping[str, Any], removals: frozenset[str]
    ) -> dict[str, Any] | None: ...
    def delete_account(self, user_id: str, correlation_id: str) -> bool: ...


def profile_view(item: Mapping[str, Any]) -> dict[str, Any]:
    view = {field: item[field] for field in PUBLIC_FIELDS if item.get(field) is not None}
    view["roles"] = sorted(str(role) for role in item.get("roles", []))
    return view


@dataclass
class Profiles:
    store: ProfileStore

    def mine(self, caller: Identity) -> dict[str, Any]:
        item = self.store.profile(caller.user_id)
        if item is None:
            # A still-valid access token of a deleted account: the account is gone.
            raise Unauthorized("The account no longer exists.")
        return profile_view(item)

    def of(self, caller: Identity, user_id: str) -> dict[str, Any]:
        if not caller.is_admin:
            raise Forbidden("This operation requires the admin role.")
        item = self.store.profile(user_id)
        if item is None:
            raise NotFound("No such user.")
        return profile_view(item)

    def update(self, caller: Identity, patch: Mapping[str, Any]) -> dict[str, Any]:
        """`patch` holds only the fields the caller sent (already validated)."""
        if "name" in patch and patch["name"] is None:
            raise Unprocessable(
                "name cannot be removed.", errors=[{"loc": ["body", "name"], "msg": "may not be null"}]
            )
        removals = frozenset(
            field for field, value in patch.items() if value is None and field in REMOVABLE_FIELDS
        )
        changes = {field: value for field, value in patch.items() if value is not None}
        item = self.store.update_profile(caller.user_id, changes, removals)
        if item is None:
            raise Unauthorized("The account no longer exists.")
        return profile_view(item)

    def delete(self, caller: Identity, correlation_id: str) -> None:
        if not self.store.delete_account(caller.user_id, correlation_id):
            raise Unauthorized("The account no longer exists.")
