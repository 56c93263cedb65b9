"""Identity use cases: register (and promote an admin), log in with throttling, rotate and revoke
refresh tokens. The rules are in identity.domain; storage and KMS come in through identity.ports."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from commerce.clock import iso_now
from identity import passwords
from identity.domain import (
    ADMIN_ROLE,
    DEFAULT_ROLES,
    LOGIN_FAILURE_LIMIT,
    LOGIN_FAILURE_WINDOW_SECONDS,
    REFRESH_TOKEN_TTL_SECONDS,
    Credential,
    EmailTaken,
    InvalidLogin,
    InvalidRefreshToken,
    LoginAttempt,
    NewAccount,
    RotationRefused,
    TokenPair,
    TooManyFailedLogins,
    access_revoked,
    email_hash,
    free_slots,
    hash_token,
    new_refresh_token,
    normalize_email,
    retry_after,
)
from identity.ports import AccessTokenIssuer, ContactEncryptor, IdentityStore


@dataclass
class Accounts:
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
        user_id: str | None = None,
    ) -> NewAccount:
        """A new account; its id is new unless given (the local stack's demo data has fixed ids)."""
        user_id = user_id or str(uuid.uuid4())
        email = email.strip()
        account = NewAccount(
            user_id=user_id,
            email=email,
            email_key=normalize_email(email),
            name=name,
            password_hash=passwords.hash_password(password),
            roles=tuple(sorted(set(roles))),
            created_at=iso_now(self.clock()),
            contact=self.encrypt_contact(email, user_id) if self.encrypt_contact else None,
        )
        self.store.create_account(account, correlation_id)  # EmailTaken: 409
        return account

    def ensure_admin(self, email: str, password: str, name: str) -> tuple[str, bool]:
        """Create an admin, or promote the existing account with that email. (user id, created?)"""
        try:
            account = self.register(email, password, name, roles=(*DEFAULT_ROLES, ADMIN_ROLE))
            return account.user_id, True
        except EmailTaken:
            existing = self.store.credential_by_email(normalize_email(email))
            if existing is None:
                raise
            self.store.add_roles(existing.user_id, [ADMIN_ROLE])
            return existing.user_id, False

    def login(self, email: str, password: str) -> TokenPair:
        """Tokens for a right password. Every attempt first takes one of the email's 5 attempt
        slots (`_hold_attempt`); a failure keeps it for 15 minutes, a success gives it back."""
        now = self._now()
        key = email_hash(email)
        slot, attempt = self._hold_attempt(key, now)
        credential = self.store.credential_by_email(normalize_email(email))
        if credential is None:
            ok = passwords.verify_unknown(password)
        else:
            ok = passwords.verify_password(password, credential.password_hash)
        if not ok or credential is None:
            raise InvalidLogin()  # the slot stays held: this failure counts for 15 minutes
        self.store.release_attempt(key, slot, attempt)
        family_id = str(uuid.uuid4())
        refresh_token = new_refresh_token()
        self.store.start_family(
            credential.user_id, family_id, hash_token(refresh_token), now + REFRESH_TOKEN_TTL_SECONDS
        )
        return self._pair(credential, refresh_token, now)

    def _hold_attempt(self, key: str, now: int) -> tuple[int, LoginAttempt]:
        """Take a free slot of this email with a conditional write, or `TooManyFailedLogins`.

        Losing a slot to a concurrent attempt means that attempt holds it now, so each round either
        succeeds or sees one slot fewer; after `2 * LIMIT` rounds of contention it refuses rather
        than let a guess through unaccounted."""
        attempt = LoginAttempt(at=now, attempt_id=str(uuid.uuid4()))
        for _ in range(2 * LOGIN_FAILURE_LIMIT):
            held = self.store.login_attempts(key)
            free = free_slots(held, now)
            if not free:
                raise TooManyFailedLogins(retry_after(held, now))
            slot = random.choice(free)
            expires_at = now + 2 * LOGIN_FAILURE_WINDOW_SECONDS
            if self.store.hold_attempt(
                key, slot, attempt, free_before=now - LOGIN_FAILURE_WINDOW_SECONDS, expires_at=expires_at
            ):
                return slot, attempt
        raise TooManyFailedLogins(1)

    def access_revoked(self, user_id: str, issued_at: int) -> bool:
        """Whether a verified access token of `user_id` issued at `issued_at` must be refused now:
        the account was deleted or disabled, or its tokens were revoked (one consistent read)."""
        return access_revoked(self.store.access_state(user_id), issued_at)

    def refresh(self, refresh_token: str) -> TokenPair:
        now = self._now()
        old_hash = hash_token(refresh_token)
        record = self.store.refresh_record(old_hash)
        if record is None or record.expires_at <= now:
            raise InvalidRefreshToken()
        if record.status != "active":
            # A used token presented again: it was stolen or replayed. Nobody in the family is trusted.
            self.store.revoke_family(record.family_id)
            raise InvalidRefreshToken()
        credential = self.store.credential(record.user_id)
        if credential is None:
            self.store.revoke_family(record.family_id)
            raise InvalidRefreshToken()
        new_token = new_refresh_token()
        try:
            self.store.rotate(old_hash, record, hash_token(new_token), now + REFRESH_TOKEN_TTL_SECONDS, now)
        except RotationRefused as refused:
            if refused.reused:
                self.store.revoke_family(record.family_id)
            raise InvalidRefreshToken() from None
        return self._pair(credential, new_token, now)

    def logout(self, refresh_token: str) -> None:
        record = self.store.refresh_record(hash_token(refresh_token))
        if record is None or record.expires_at <= self._now():
            raise InvalidRefreshToken()
        self.store.revoke_family(record.family_id)

    def _pair(self, credential: Credential, refresh_token: str, now: int) -> TokenPair:
        assert self.issue_access_token is not None, "an access-token issuer is required to log in"
        access = self.issue_access_token(credential.user_id, credential.roles, now)
        return TokenPair(access, refresh_token, self.issue_access_token.ttl_seconds)
