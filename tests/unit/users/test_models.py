"""PATCH /users/me body: only name, phone and shippingAddress, each validated."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from users.models import ProfilePatch

ADDRESS = {"line1": "1 Main St", "city": "Springfield", "postalCode": "12345", "country": "us"}


def test_only_sent_fields_are_reported_and_country_is_normalised() -> None:
    patch = ProfilePatch.model_validate({"shippingAddress": ADDRESS, "phone": None})

    assert patch.sent_fields() == {"phone": None, "shippingAddress": {**ADDRESS, "country": "US"}}


@pytest.mark.parametrize("field", ["roles", "email", "userId", "createdAt", "passwordHash"])
def test_fields_other_than_name_phone_address_are_rejected(field: str) -> None:
    with pytest.raises(ValidationError):
        ProfilePatch.model_validate({field: "x"})


def test_address_rejects_unknown_fields_and_bad_country() -> None:
    with pytest.raises(ValidationError):
        ProfilePatch.model_validate({"shippingAddress": {**ADDRESS, "extra": 1}})
    with pytest.raises(ValidationError):
        ProfilePatch.model_validate({"shippingAddress": {**ADDRESS, "country": "USA"}})
