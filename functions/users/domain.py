"""Profile rules: what a profile looks like to its owner or an admin, what a PATCH may change, and
the errors they raise. No AWS and no HTTP; the use cases are in users.service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from commerce.errors import NotAuthenticated, NotFound, NotPermitted, Rejected

PUBLIC_FIELDS = ("userId", "email", "name", "phone", "shippingAddress", "roles", "createdAt")
REMOVABLE_FIELDS = frozenset({"phone", "shippingAddress"})


class AccountGone(NotAuthenticated):
    """A still-valid access token of a deleted account: the account is gone."""

    def __init__(self) -> None:
        super().__init__("The account no longer exists.")


class UserNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such user.")


class AdminOnly(NotPermitted):
    def __init__(self) -> None:
        super().__init__("This operation requires the admin role.")


class NameRequired(Rejected):
    def __init__(self) -> None:
        super().__init__(
            "name cannot be removed.", errors=[{"loc": ["body", "name"], "msg": "may not be null"}]
        )


def profile_view(item: Mapping[str, Any]) -> dict[str, Any]:
    view = {field: item[field] for field in PUBLIC_FIELDS if item.get(field) is not None}
    view["roles"] = sorted(str(role) for role in item.get("roles", []))
    return view


def split_patch(patch: Mapping[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """(fields to set, fields to remove) of a PATCH that holds only the fields the caller sent."""
    if "name" in patch and patch["name"] is None:
        raise NameRequired()
    removals = frozenset(
        field for field, value in patch.items() if value is None and field in REMOVABLE_FIELDS
    )
    return {field: value for field, value in patch.items() if value is not None}, removals
