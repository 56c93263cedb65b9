"""The identity rules: accounts, credentials, login throttling, refresh-token families, and the
errors they raise. No AWS and no HTTP here; the use cases are in identity.service, the ports they
use (storage, KMS signing, contact encryption) in identity.ports.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from commerce.errors import Conflict, NotAuthenticated, RateLimited
from commerce.identity_table import normalize_email

DEFAULT_ROLES = ("user",)
ADMIN_ROLE = "admin"
REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600
LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
INVALID_LOGIN = "The email or password is incorrect."
INVALID_REFRESH = "The refresh token is not valid."


# ---- values ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credential:
    user_id: str
    email: str
    password_hash: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class NewAccount:
    user_id: str
    email: str
    name: str
    password_hash: str
    roles: tuple[str, ...]
    created_at: str
    contact: str | None = None  # the email encrypted for the notifications service


@dataclass(frozen=True)
class RefreshRecord:
    user_id: str
    family_id: str
    status: str  # active | used
    expires_at: int


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int

    def body(self) -> dict[str, object]:
        return {
            "accessToken": self.access_token,
            "refreshToken": self.refresh_token,
            "tokenType": "Bearer",
            "expiresIn": self.expires_in,
        }


class EmailTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("An account with this email already exists.")


class InvalidLogin(NotAuthenticated):
    """A wrong password and an unknown email get this same answer (CONTRACT §1)."""

    def __init__(self) -> None:
        super().__init__(INVALID_LOGIN)


class InvalidRefreshToken(NotAuthenticated):
    def __init__(self) -> None:
        super().__init__(INVALID_REFRESH)


class TooManyFailedLogins(RateLimited):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            "Too many failed logins for this account; try again later.",
            retry_after_seconds=retry_after_seconds,
        )


class RotationRefused(Exception):
    """The old token was no longer active (`reused`) or its family was revoked."""

    def __init__(self, reused: bool) -> None:
        super().__init__("reused" if reused else "revoked")
        self.reused = reused


# ---- pure rules -----------------------------------------------------------------------------


def hash_token(token: str) -> str:
    """Refresh tokens are stored only as this SHA-256 digest."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def email_hash(email: str) -> str:
    return hashlib.sha256(normalize_email(email).encode("utf-8")).hexdigest()


def failure_window(now: int) -> tuple[int, int]:
    """(start of the current 15-minute throttling window, seconds until it ends)."""
    start = now - now % LOGIN_FAILURE_WINDOW_SECONDS
    return start, start + LOGIN_FAILURE_WINDOW_SECONDS - now
