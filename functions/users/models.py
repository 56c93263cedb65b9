"""Bodies of the /users routes. PATCH accepts only name, phone and shippingAddress; any other field
(roles, email, userId, ...) is rejected with 422, so nobody can assign themselves a role."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, WithJsonSchema

from commerce.model import Model

_PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{3,30}$")


def _text(max_length: int) -> AfterValidator:
    """1 to `max_length` printable characters once stripped."""

    def check(value: str) -> str:
        value = value.strip()
        if not 1 <= len(value) <= max_length or not value.isprintable():
            raise ValueError(f"must be 1 to {max_length} printable characters")
        return value

    return AfterValidator(check)


def _bounds(max_length: int) -> WithJsonSchema:
    """The schema of a `_text(max_length)` field: the bounds the reference states."""
    return WithJsonSchema(
        {"type": "string", "minLength": 1, "maxLength": max_length, "description": "printable characters"}
    )


def _phone(value: str) -> str:
    value = value.strip()
    if not _PHONE.match(value) or sum(ch.isdigit() for ch in value) < 5:
        raise ValueError("must be a phone number (digits, optionally +, spaces, dashes, dots, parentheses)")
    return value


def _country(value: str) -> str:
    value = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise ValueError("must be an ISO 3166-1 alpha-2 country code")
    return value


class ShippingAddress(Model):
    model_config = ConfigDict(extra="forbid")

    line1: Annotated[str, _text(200), _bounds(200)]
    line2: Annotated[str, _text(200), _bounds(200)] | None = None
    city: Annotated[str, _text(100), _bounds(100)]
    postalCode: Annotated[str, _text(20), _bounds(20)]
    country: Annotated[
        str,
        AfterValidator(_country),
        WithJsonSchema({"type": "string", "pattern": "^[A-Za-z]{2}$", "description": "ISO 3166-1 alpha-2"}),
    ]
    region: Annotated[str, _text(100), _bounds(100)] | None = None


class ProfilePatch(Model):
    """Only the fields that are present change; `phone`/`shippingAddress` set to null are removed."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, _text(100), _bounds(100)] | None = None
    phone: (
        Annotated[
            str,
            AfterValidator(_phone),
            WithJsonSchema({"type": "string", "pattern": _PHONE.pattern, "description": "at least 5 digits"}),
        ]
        | None
    ) = None
    shippingAddress: ShippingAddress | None = None

    def sent_fields(self) -> dict[str, Any]:
        """The fields the caller sent (null included, meaning "remove"), as plain JSON values."""
        sent: dict[str, Any] = {}
        for field in sorted(self.model_fields_set):
            value = getattr(self, field)
            sent[field] = (
                value.model_dump(mode="json", exclude_none=True) if isinstance(value, BaseModel) else value
            )
        return sent


class Profile(Model):
    """A profile as its owner (or an admin) sees it; absent optional fields are left out."""

    userId: str
    email: str
    name: str
    phone: str | None = None
    shippingAddress: ShippingAddress | None = None
    roles: list[str]
    createdAt: str
