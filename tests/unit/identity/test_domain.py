"""Identity rules with an in-memory store and a controllable clock (no AWS)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pytest
from identity import domain
from identity.domain import Credential, NewAccount, RefreshRecord, RotationRefused
from identity.service import Accounts

from commerce.errors import Conflict, NotAuthenticated, RateLimited
from commerce.identity_table import normalize_email


@dataclass
class MemoryStore:
    accounts: dict[str, Credential] = field(default_factory=dict)
    failures: dict[tuple[str, int], int] = field(default_factory=dict)
    tokens: dict[str, RefreshRecord] = field(default_factory=dict)
    families: dict[str, str] = field(default_factory=dict)

    def create_account(self, account: NewAccount, correlation_id: str) -> None:
        if normalize_email(account.email) in self.accounts:
            raise domain.EmailTaken()
        self.accounts[normalize_email(account.email)] = Credential(
            account.user_id, account.email, account.password_hash, account.roles
        )

    def credential_by_email(self, email: str) -> Credential | None:
        return self.accounts.get(normalize_email(email))

    def credential(self, user_id: str) -> Credential | None:
        return next((c for c in self.accounts.values() if c.user_id == user_id), None)

    def add_roles(self, user_id: str, roles: Sequence[str]) -> None:
        for email, c in self.accounts.items():
            if c.user_id == user_id:
                self.accounts[email] = replace(c, roles=tuple(sorted(set(c.roles) | set(roles))))

    def login_failures(self, email_hash: str, window_start: int) -> int:
        return self.failures.get((email_hash, window_start), 0)

    def record_login_failure(self, email_hash: str, window_start: int, expires_at: int) -> None:
        self.failures[(email_hash, window_start)] = self.login_failures(email_hash, window_start) + 1

    def start_family(self, user_id: str, family_id: str, token_hash: str, expires_at: int) -> None:
        self.families[family_id] = "active"
        self.tokens[token_hash] = RefreshRecord(user_id, family_id, "active", expires_at)

    def refresh_record(self, token_hash: str) -> RefreshRecord | None:
        return self.tokens.get(token_hash)

    def rotate(self, old_hash: str, record: RefreshRecord, new_hash: str, expires_at: int, now: int) -> None:
        if self.tokens[old_hash].status != "active":
            raise RotationRefused(reused=True)
        if self.families[record.family_id] != "active":
            raise RotationRefused(reused=False)
        self.tokens[old_hash] = replace(record, status="used")
        self.tokens[new_hash] = RefreshRecord(record.user_id, record.family_id, "active", expires_at)

    def revoke_family(self, family_id: str) -> None:
        self.families[family_id] = "revoked"


class FakeIssuer:
    ttl_seconds = 900

    def __call__(self, user_id: str, roles: Sequence[str], now: int) -> str:
        return f"access:{user_id}:{','.join(roles)}:{now}"


class Clock:
    def __init__(self, now: float = 1_800_000_000) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(clock: Clock) -> Accounts:
    service = Accounts(store=MemoryStore(), issue_access_token=FakeIssuer(), clock=clock)
    service.register("ada@example.com", "correct-horse-battery", "Ada")
    return service


def test_duplicate_email_in_another_case_is_a_conflict(service: Accounts) -> None:
    with pytest.raises(Conflict):
        service.register("ADA@example.com", "another-password", "Other")


def test_lockout_ends_with_its_window(service: Accounts, clock: Clock) -> None:
    for _ in range(5):
        with pytest.raises(NotAuthenticated):
            service.login("ada@example.com", "wrong-password-1")
    with pytest.raises(RateLimited) as locked:
        service.login("ada@example.com", "correct-horse-battery")
    retry_after = locked.value.retry_after_seconds
    assert 1 <= retry_after <= 900

    clock.now += retry_after

    assert service.login("ada@example.com", "correct-horse-battery").access_token.startswith("access:")


def test_four_failures_do_not_lock(service: Accounts) -> None:
    for _ in range(4):
        with pytest.raises(NotAuthenticated):
            service.login("ada@example.com", "wrong-password-1")
    assert service.login("ada@example.com", "correct-horse-battery").expires_in == 900


def test_reuse_of_a_spent_refresh_token_revokes_the_family(service: Accounts) -> None:
    first = service.login("ada@example.com", "correct-horse-battery")
    second = service.refresh(first.refresh_token)

    with pytest.raises(NotAuthenticated):
        service.refresh(first.refresh_token)
    with pytest.raises(NotAuthenticated):
        service.refresh(second.refresh_token)


def test_refresh_token_expires(service: Accounts, clock: Clock) -> None:
    pair = service.login("ada@example.com", "correct-horse-battery")
    clock.now += domain.REFRESH_TOKEN_TTL_SECONDS + 1

    with pytest.raises(NotAuthenticated):
        service.refresh(pair.refresh_token)


def test_refresh_tokens_have_256_bits_and_are_stored_hashed(service: Accounts) -> None:
    pair = service.login("ada@example.com", "correct-horse-battery")
    store = service.store
    assert isinstance(store, MemoryStore)

    assert len(pair.refresh_token) >= 43
    assert pair.refresh_token not in store.tokens
    assert domain.hash_token(pair.refresh_token) in store.tokens


def test_promoting_an_existing_account_adds_admin(service: Accounts) -> None:
    user_id, created = service.ensure_admin("ADA@example.com", "ignored-password", "Ada")

    assert not created
    credential = service.store.credential(user_id)
    assert credential is not None
    assert credential.roles == ("admin", "user")
    assert service.login("ada@example.com", "correct-horse-battery").access_token.endswith(
        ":admin,user:1800000000"
    )
