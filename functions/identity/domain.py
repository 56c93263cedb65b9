"""The identity rules: accounts, credentials, login throttling, refresh-token families, and the
errors they raise. No AWS and no HTTP here; the use cases are in identity.service, the ports they
use (storage, KMS signing, contact encryption) in identity.ports.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from commerce.errors import Conflict, NotAuthenticated, RateLimited

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
    email: str  # as the user typed it (stripped): what mail is sent to and the profile shows
    email_key: str  # normalize_email(email): what uniqueness, login and lockout compare
    name: str
    password_hash: str
    roles: tuple[str, ...]
    created_at: str
    contact: str | None = None  # the email encrypted for the notifications service


@dataclass(frozen=True)
class AccessState:
    """What decides, on every request, whether a user's access tokens still work (the credential's
    `tokensValidAfter` and `status`); no credential at all means the account is gone."""

    tokens_valid_after: int = 0  # epoch seconds: tokens issued before this are revoked
    disabled: bool = False


def access_revoked(state: AccessState | None, issued_at: int) -> bool:
    """True when a token issued at `issued_at` must no longer be honoured: the account was deleted
    (no credential), is disabled, or revoked every token issued before `tokens_valid_after`."""
    return state is None or state.disabled or issued_at < state.tokens_valid_after


@dataclass(frozen=True)
class LoginAttempt:
    """A login attempt holding one of the `LOGIN_FAILURE_LIMIT` slots of an email: from `at` (epoch
    seconds) until `at + LOGIN_FAILURE_WINDOW_SECONDS` if it fails, until it succeeds otherwise."""

    at: int
    attempt_id: str


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


def normalize_email(email: str) -> str:
    """The one form an email is compared in — registration's uniqueness, login and lockout alike.

    Unicode's identifier caseless match (The Unicode Standard §3.13, D145): NFKC(casefold(NFKD(x))),
    without surrounding blanks. NFC alone would make the NFC and NFD spellings of "josé" one
    account but keep compatibility variants apart: full-width "\uff41\uff44\uff41@example.com" and
    "ada@example.com" look alike and must not be two accounts any more than "ADA" and "ada" are.
    `casefold` (not `lower`) folds the cases `lower` leaves apart ("STRASSE"/"straße", final
    sigma). Idempotent. The address itself is kept as typed for mail and display; only this key is
    compared."""
    decomposed = unicodedata.normalize("NFKD", email.strip())
    # Stripped again: a compatibility decomposition can begin with a space (U+00B8 → " \u0327").
    return unicodedata.normalize("NFKC", decomposed.casefold()).strip()


def email_hash(email: str) -> str:
    """The lockout key of an email (its normalized form, hashed: no address in the key)."""
    return hashlib.sha256(normalize_email(email).encode("utf-8")).hexdigest()


def free_slots(held: Mapping[int, LoginAttempt], now: int) -> list[int]:
    """The slots a new attempt may take: unheld, or held by an attempt that began a whole window ago.

    Each of the `LOGIN_FAILURE_LIMIT` slots can be taken at most once per 15 minutes and a failed
    attempt keeps its slot, so no 15 minutes — wherever they start — hold more than 5 failures (a
    sliding window, not fixed ones), and attempts in flight hold slots too, so concurrent guesses
    cannot overtake the count."""
    cutoff = now - LOGIN_FAILURE_WINDOW_SECONDS
    return [slot for slot in range(LOGIN_FAILURE_LIMIT) if slot not in held or held[slot].at <= cutoff]


def retry_after(held: Mapping[int, LoginAttempt], now: int) -> int:
    """Seconds until the oldest slot frees (at least 1)."""
    oldest = min((attempt.at for attempt in held.values()), default=now)
    return max(1, oldest + LOGIN_FAILURE_WINDOW_SECONDS - now)
