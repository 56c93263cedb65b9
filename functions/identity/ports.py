"""What the identity use cases need from the outside world: the identity table, an access-token
issuer (KMS signing) and the contact encryptor (KMS)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from identity.domain import AccessState, Credential, LoginAttempt, NewAccount, RefreshRecord


class IdentityStore(Protocol):
    def create_account(self, account: NewAccount, correlation_id: str) -> None: ...
    def credential_by_email(self, email_key: str) -> Credential | None: ...
    def credential(self, user_id: str) -> Credential | None: ...
    def access_state(self, user_id: str) -> AccessState | None:
        """The user's token-revocation state, strongly consistent; None when the account is gone."""
        ...

    def add_roles(self, user_id: str, roles: Sequence[str]) -> None: ...
    def login_attempts(self, email_hash: str) -> dict[int, LoginAttempt]:
        """The slots held for this email (consistent read)."""
        ...

    def hold_attempt(
        self, email_hash: str, slot: int, attempt: LoginAttempt, *, free_before: int, expires_at: int
    ) -> bool:
        """Take `slot` if it is unheld or held by an attempt at or before `free_before`, atomically;
        False when another attempt has it."""
        ...

    def release_attempt(self, email_hash: str, slot: int, attempt: LoginAttempt) -> None:
        """Give `slot` back if `attempt` still holds it."""
        ...

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
