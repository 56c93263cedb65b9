"""Request validation of /auth bodies."""

from __future__ import annotations

import pytest
from identity.models import LoginRequest, RegisterRequest
from pydantic import ValidationError


@pytest.mark.parametrize("email", ["ada@example.com", "Ada.Lovelace+shop@mail.example.co.uk", "x@y.io"])
def test_valid_emails_are_accepted(email: str) -> None:
    assert RegisterRequest(email=email, password="p" * 10, name="Ada").email == email


@pytest.mark.parametrize(
    "email",
    [
        "",
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "a b@example.com",
        "ada@@example.com",
        "a" * 65 + "@x.io",
    ],
)
def test_invalid_emails_are_rejected(email: str) -> None:
    with pytest.raises(ValidationError):
        RegisterRequest(email=email, password="p" * 10, name="Ada")


def test_password_must_have_10_characters() -> None:
    with pytest.raises(ValidationError):
        RegisterRequest(email="a@b.io", password="p" * 9, name="Ada")
    assert RegisterRequest(email="a@b.io", password="p" * 10, name="Ada")


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError):
        RegisterRequest.model_validate(
            {"email": "a@b.io", "password": "p" * 10, "name": "A", "roles": ["admin"]}
        )
    with pytest.raises(ValidationError):
        LoginRequest.model_validate({"email": "a@b.io", "password": "x", "mfa": "1"})
