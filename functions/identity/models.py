"""Request and response bodies of the /auth routes (pydantic; unknown fields are rejected)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, WithJsonSchema

from commerce.model import Model

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # bounds the work one request can cause
MAX_EMAIL_LENGTH = 254

# A deliberately plain check (email-validator is not a dependency): one "@", a non-empty local part
# of at most 64 characters, a dotted domain, no blanks or control characters.
_EMAIL = re.compile(
    r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def _email(value: str) -> str:
    value = value.strip()
    if len(value) > MAX_EMAIL_LENGTH or not _EMAIL.match(value) or not value.isprintable():
        raise ValueError("must be a valid email address")
    return value


def _name(value: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= 100 or not value.isprintable():
        raise ValueError("must be 1 to 100 printable characters")
    return value


Email = Annotated[
    str,
    AfterValidator(_email),
    WithJsonSchema({"type": "string", "maxLength": MAX_EMAIL_LENGTH, "description": "an email address"}),
]
Name = Annotated[
    str,
    AfterValidator(_name),
    WithJsonSchema(
        {"type": "string", "minLength": 1, "maxLength": 100, "description": "printable characters"}
    ),
]


class RegisterRequest(Model):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
    name: Name


class LoginRequest(Model):
    model_config = ConfigDict(extra="forbid")

    # Not validated as an email: an unknown or odd address must get the same 401 as a wrong password.
    email: str = Field(min_length=1, max_length=MAX_EMAIL_LENGTH)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


class RefreshRequest(Model):
    model_config = ConfigDict(extra="forbid")

    refreshToken: str = Field(min_length=1, max_length=512)


# ---- response bodies (documentation: the handlers build these shapes in identity.domain) --------


class RegisteredUser(Model):
    """POST /auth/register: the new account."""

    userId: str
    email: str
    name: str


class TokenPair(Model):
    """POST /auth/login and /auth/refresh: a short-lived access token and a single-use refresh token."""

    accessToken: str = Field(description="JWT (ES256, header kid); send as `Authorization: Bearer ...`")
    refreshToken: str = Field(description="Opaque; works once at POST /auth/refresh")
    tokenType: Literal["Bearer"]
    expiresIn: int = Field(description="Seconds until the access token expires")


class Jwk(Model):
    """A public signing key (RFC 7517)."""

    kty: str
    crv: str
    x: str
    y: str
    kid: str
    alg: str
    use: str


class Jwks(Model):
    """GET /.well-known/jwks.json: every key that may have signed a live access token."""

    keys: list[Jwk]
