"""Profile use cases: read my profile or (admin) anyone's, change mine, delete my account."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from commerce.caller import Caller
from users.domain import AccountGone, AdminOnly, UserNotFound, profile_view, split_patch
from users.ports import ProfileStore


@dataclass
class Profiles:
    store: ProfileStore

    def mine(self, caller: Caller) -> dict[str, Any]:
        item = self.store.profile(caller.user_id)
        if item is None:
            raise AccountGone()
        return profile_view(item)

    def of(self, caller: Caller, user_id: str) -> dict[str, Any]:
        if not caller.is_admin:
            raise AdminOnly()
        item = self.store.profile(user_id)
        if item is None:
            raise UserNotFound()
        return profile_view(item)

    def update(self, caller: Caller, patch: Mapping[str, Any]) -> dict[str, Any]:
        """`patch` holds only the fields the caller sent (already validated)."""
        changes, removals = split_patch(patch)
        item = self.store.update_profile(caller.user_id, changes, removals)
        if item is None:
            raise AccountGone()
        return profile_view(item)

    def delete(self, caller: Caller, correlation_id: str) -> None:
        if not self.store.delete_account(caller.user_id, correlation_id):
            raise AccountGone()
