"""Identity rules with an in-memory store and a controllable clock (no AWS)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from identity import domain, passwords
from identity.domain import Credential, LoginAttempt, NewAccount, RefreshRecord, RotationRefused
from identity.service import Accounts

from commerce.errors import Conflict, NotAuthenticated, RateLimited


@dataclass
class MemoryStore:
    accounts: dict[str, Credential] = field(default_factory=dict)
    attempts: dict[str, dict[int, LoginAttempt]] = field(default_factory=dict)
    tokens: dict[str, RefreshRecord] = field(default_factory=dict)
    families: dict[str, str] = field(default_factory=dict)

    def create_account(self, account: NewAccount, correlation_id: str) -> None:
        if account.email_key in self.accounts:
            raise domain.EmailTaken()
        self.accounts[account.email_key] = Credential(
            account.user_id, account.email, account.password_hash, account.roles
        )

    def credential_by_email(self, email_key: str) -> Credential | None:
        return self.accounts.get(email_key)

    def credential(self, user_id: str) -> Credential | None:
        return next((c for c in self.accounts.values() if c.user_id == user_id), None)

    def access_state(self, user_id: str) -> domain.AccessState | None:
        return domain.AccessState() if self.credential(user_id) else None

    def add_roles(self, user_id: str, roles: Sequence[str]) -> None:
        for email, c in self.accounts.items():
            if c.user_id == user_id:
                self.accounts[email] = replace(c, roles=tuple(sorted(set(c.roles) | set(roles))))

    def login_attempts(self, email_hash: str) -> dict[int, LoginAttempt]:
        return dict(self.attempts.get(email_hash, {}))

    def hold_attempt(
        self, email_hash: str, slot: int, attempt: LoginAttempt, *, free_before: int, expires_at: int
    ) -> bool:
        held = self.attempts.setdefault(email_hash, {})
        if slot in held and held[slot].at > free_before:
            return False
        held[slot] = attempt
        return True

    def release_attempt(self, email_hash: str, slot: int, attempt: LoginAttempt) -> None:
        held = self.attempts.get(email_hash, {})
        if slot in held and held[slot].attempt_id == attempt.attempt_id:
            del held[slot]

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


# ---- the lockout is a sliding window (issue 22 finding 9, issue 18 finding 6) ------------------


def test_failures_across_a_fixed_window_edge_still_lock(service: Accounts, clock: Clock) -> None:
    # Fixed 15-minute windows let 5 failures at 14:59 and 5 more at 15:01; a sliding window does not.
    clock.now = 1_800_000_000 - 1_800_000_000 % 900 + 899  # one second before a fixed window ends
    for _ in range(5):
        with pytest.raises(NotAuthenticated):
            service.login("ada@example.com", "wrong-password-1")
    clock.now += 2  # the next fixed window
    with pytest.raises(RateLimited) as locked:
        service.login("ada@example.com", "wrong-password-1")
    assert locked.value.retry_after_seconds == 898
    clock.now += 897
    with pytest.raises(RateLimited):
        service.login("ada@example.com", "correct-horse-battery")
    clock.now += 1  # 900 s after the first failure
    assert service.login("ada@example.com", "correct-horse-battery").expires_in == 900


def test_a_success_gives_its_slot_back(service: Accounts) -> None:
    for _ in range(10):
        service.login("ada@example.com", "correct-horse-battery")
    for _ in range(4):
        with pytest.raises(NotAuthenticated):
            service.login("ada@example.com", "wrong-password-1")
    assert service.login("ada@example.com", "correct-horse-battery").expires_in == 900


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=400), st.booleans()), min_size=1, max_size=40))
def test_no_fifteen_minutes_ever_hold_more_than_five_failures(schedule: list[tuple[int, bool]]) -> None:
    """Whatever the timing of right and wrong passwords: at most 5 failures in any 900 s, and an
    attempt is refused only when 5 failures lie within the 900 s before it."""
    clock = Clock(1_800_000_000)
    store = MemoryStore()
    # A stored hash carries its own cost: a cheap one keeps hundreds of logins fast.
    cheap = passwords.hash_password("correct-horse-battery", passwords.ScryptParameters(n=2**10))
    store.accounts["ada@example.com"] = Credential("u-1", "ada@example.com", cheap, ("user",))
    accounts = Accounts(store=store, issue_access_token=FakeIssuer(), clock=clock)
    failures: list[float] = []
    for gap, right in schedule:
        clock.now += gap
        recent = [t for t in failures if t > clock.now - 900]
        try:
            accounts.login("ada@example.com", "correct-horse-battery" if right else "wrong-password-1")
            assert right
            assert len(recent) < 5
        except NotAuthenticated:
            assert not right
            assert len(recent) < 5
            failures.append(clock.now)
        except RateLimited:
            assert len(recent) == 5
    assert all(sum(1 for u in failures if t <= u < t + 900) <= 5 for t in failures)


# ---- one normalized form of an email (issue 18 finding 7) ---------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("jos\u00e9@example.com", "jose\u0301@example.com"),  # NFC and NFD
        ("\uff41\uff44\uff41@example.com", "ada@example.com"),  # full-width compatibility forms
        ("STRASSE@example.com", "stra\u00dfe@example.com"),  # casefold, not lower
        ("  Ada@Example.COM ", "ada@example.com"),
    ],
)
def test_equivalent_spellings_of_an_email_are_one_account(first: str, second: str, clock: Clock) -> None:
    accounts = Accounts(store=MemoryStore(), issue_access_token=FakeIssuer(), clock=clock)
    accounts.register(first, "correct-horse-battery", "First")
    with pytest.raises(Conflict):
        accounts.register(second, "another-password", "Second")
    assert accounts.login(second, "correct-horse-battery").access_token
    assert domain.email_hash(first) == domain.email_hash(second)


@given(st.text(max_size=40))
def test_normalization_is_idempotent(text: str) -> None:
    once = domain.normalize_email(text)
    assert domain.normalize_email(once) == once


def test_a_token_is_revoked_when_its_account_is_gone_disabled_or_older_than_the_cut_off() -> None:
    assert domain.access_revoked(None, issued_at=1_000)
    assert domain.access_revoked(domain.AccessState(disabled=True), issued_at=1_000)
    assert domain.access_revoked(domain.AccessState(tokens_valid_after=1_001), issued_at=1_000)
    assert not domain.access_revoked(domain.AccessState(tokens_valid_after=1_000), issued_at=1_000)
    assert not domain.access_revoked(domain.AccessState(), issued_at=1_000)
