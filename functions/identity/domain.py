"""The identity rules: accounts, credentials, login throttling and refresh-token families.

No boto3 and no event shapes here: storage, KMS signing and contact encryption come in as ports
(`IdentityStore`, `AccessTokenIssuer`, `ContactEncryptor`), so the rules are testable with fakes.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from commerce.identity_keys import normalize_email
from commerce.problems import Conflict, TooManyRequests, Unauthorized
from identity import passwords

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


class EmailTaken(Exception):
    pass


class RotationRefused(Exception):
    """The old token was no longer active (`reused`) or its family was revoked."""

    def __init__(self, reused: bool) -> None:
        super().__init__("reused" if reused else "revoked")
        self.reused = reused


# ---- ports ----------------------------------------------------------------------------------


class IdentityStore(Protocol):
    def create_account(self, account: NewAccount, correlation_id: str) -> None: ...
    def credential_by_email(self, email: str) -> Credential | None: ...
    def credential(self, user_id: str) -> Credential | None: ...
    def add_roles(self, user_id: str, roles: Sequence[str]) -> None: ...
    def login_failures(self, email_hash: str, window_start: int) -> int: ...
    def record_login_failure(self, email_hash: str, window_start: int, expires_at: int) -> None: ...
    def start_family(self, user_id: str, family_id: str, token_hash: str, expires_at: int) -> None: ...
    def refresh_record(self, token_hash: str) -> RefreshRecord | None: ...
    def rotate(
        self, old_hash: str, record: RefreshRecord, new_hash: str, expires_at: int, now: int
    ) -> None: ...
    def revoke_family(self, family_id: str) -> None: ...


class AccessTokenIssuer(Protocol):
    ttl_seconds: int

    def __call__(self, user_id: str, roles: Sequence[str], now: int) -> str: ...


ContactEncryptor = Callable[[str, str], str]


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


def iso_now(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))


# ---- the service ----------------------------------------------------------------------------


@dataclass
class Identity:
    store: IdentityStore
    issue_access_token: AccessTokenIssuer | None = None
    encrypt_contact: ContactEncryptor | None = None
    clock: Callable[[], float] = field(default=time.time)

    def _now(self) -> int:
        return int(self.clock())

    def register(
        self,
        email: str,
        password: str,
        name: str,
        *,
        correlation_id: str = "",
        roles: Sequence[str] = DEFAULT_ROLES,
    ) -> NewAccount:
        user_id = str(uuid.uuid4())
        email = email.strip()
        account = NewAccount(
            user_id=user_id,
            email=email,
            name=name,
            password_hash=passwords.hash_password(password),
            roles=tuple(sorted(set(roles))),
            created_at=iso_now(self.clock()),
            contact=self.encrypt_contact(email, user_id) if self.encrypt_contact else None,
        )
        try:
            self.store.create_account(account, correlation_id)
        except EmailTaken:
            raise Conflict("An account with this email already exists.") from None
        return account

    def ensure_admin(self, email: str, password: str, name: str) -> tuple[str, bool]:
        """Create an admin, or promote the existing account with that email. (user id, created?)"""
        try:
            account = self.register(email, password, name, roles=(*DEFAULT_ROLES, ADMIN_ROLE))
            return account.user_id, True
        except Conflict:
            existing = self.store.credential_by_email(email)
            if existing is None:
                raise
            self.store.add_roles(existing.user_id, [ADMIN_ROLE])
            return existing.user_id, False

    def login(self, email: str, password: str) -> TokenPair:
        now = self._now()
        key = email_hash(email)
        window_start, retry_after = failure_window(now)
        if self.store.login_failures(key, window_start) >= LOGIN_FAILURE_LIMIT:
            raise TooManyRequests(
                "Too many failed logins for this account; try again later.", retry_after_seconds=retry_after
            )
        credential = self.store.credential_by_email(email)
        if credential is None:
            ok = passwords.verify_unknown(password)
        else:
            ok = passwords.verify_password(password, credential.password_hash)
        if not ok or credential is None:
            self.store.record_login_failure(key, window_start, window_start + LOGIN_FAILURE_WINDOW_SECONDS)
            raise Unauthorized(INVALID_LOGIN)
        family_id = str(uuid.uuid4())
        refresh_token = new_refresh_token()
        self.store.start_family(
            credential.user_id, family_id, hash_token(refresh_token), now + REFRESH_TOKEN_TTL_SECONDS
        )
        return self._pair(credential, refresh_token, now)

    def refresh(self, refresh_token: str) -> TokenPair:
        now = self._now()
        old_hash = hash_token(refresh_token)
        record = self.store.refresh_record(old_hash)
        if record is None or record.expires_at <= now:
            raise Unauthorized(INVALID_REFRESH)
        if record.status != "active":
            # A used token presented again: it was stolen or replayed. Nobody in the family is trusted.
            self.store.revoke_family(record.family_id)
            raise Unauthorized(INVALID_REFRESH)
        credential = self.store.credential(record.user_id)
        if credential is None:
            self.store.revoke_family(record.family_id)
            raise Unauthorized(INVALID_REFRESH)
        new_token = new_refresh_token()
        try:
            self.store.rotate(old_hash, record, hash_token(new_token), now + REFRESH_TOKEN_TTL_SECONDS, now)
        except RotationRefused as refused:
            if refused.reused:
                self.store.revoke_family(record.family_id)
            raise Unauthorized(INVALID_REFRESH) from None
        return self._pair(credential, new_token, now)

    def logout(self, refresh_token: str) -> None:
        record = self.store.refresh_record(hash_token(refresh_token))
        if record is None or record.expires_at <= self._now():
            raise Unauthorized(INVALID_REFRESH)
        self.store.revoke_family(record.family_id)

    def _pair(self, credential: Credential, refresh_token: str, now: int) -> TokenPair:
        assert self.issue_access_token is not None, "an access-token issuer is required to log in"
        access = self.issue_access_token(credential.user_id, credential.roles, now)
        return TokenPair(access, refresh_token, self.issue_access_token.ttl_seconds)
