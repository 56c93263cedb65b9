"""POST /auth/login: the token pair, the same 401 for every bad credential, and throttling."""

from __future__ import annotations

import importlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from identity.store import DynamoIdentityStore

from commerce import aws as aws_clients
from commerce.aws import client
from tests.integration.catalog.helpers import body_of, header
from tests.integration.identity.conftest import AUDIENCE, ISSUER, PASSWORD, IdentityStack, jwt_parts


def test_login_returns_a_bearer_pair_with_a_15_minute_es256_access_token(
    identity_stack: IdentityStack,
) -> None:
    from identity.keys import kid_of

    user = identity_stack.register()
    response = identity_stack.login_response()

    assert response["statusCode"] == 200
    body = body_of(response)
    assert body["tokenType"] == "Bearer"
    assert body["expiresIn"] == 900
    assert len(body["refreshToken"]) >= 43  # 32 random bytes, base64url
    head, claims = jwt_parts(body["accessToken"])
    assert head == {"alg": "ES256", "typ": "JWT", "kid": kid_of(identity_stack.signing_key)}
    assert claims["iss"] == ISSUER
    assert claims["aud"] == AUDIENCE
    assert claims["sub"] == user["userId"]
    assert claims["exp"] - claims["iat"] == 900
    assert abs(claims["iat"] - time.time()) < 60
    assert claims["roles"] == ["user"]
    assert claims["jti"]
    assert header(response, "Cache-Control") == "no-store"


def test_login_email_is_case_insensitive(identity_stack: IdentityStack) -> None:
    identity_stack.register(email="ada@example.com")
    assert identity_stack.login_response(email="ADA@example.com")["statusCode"] == 200


def test_wrong_password_and_unknown_email_both_get_the_same_401(identity_stack: IdentityStack) -> None:
    identity_stack.register(email="ada@example.com")

    wrong_password = identity_stack.login_response("ada@example.com", "wrong-password-123")
    unknown_email = identity_stack.login_response("nobody@example.com", "wrong-password-123")

    assert wrong_password["statusCode"] == unknown_email["statusCode"] == 401
    assert wrong_password["body"] == unknown_email["body"]
    assert (
        header(wrong_password, "Content-Type")
        == header(unknown_email, "Content-Type")
        == "application/problem+json"
    )


def failures(stack: IdentityStack, count: int, email: str = "ada@example.com") -> list[int]:
    return [stack.login_response(email, "wrong-password-123")["statusCode"] for _ in range(count)]


def test_lockout_after_5_failures_is_429_with_retry_after(identity_stack: IdentityStack) -> None:
    identity_stack.register(email="ada@example.com")

    assert failures(identity_stack, 5) == [401] * 5
    locked = identity_stack.login_response("ada@example.com", PASSWORD)  # even the right password

    assert locked["statusCode"] == 429
    retry_after = int(header(locked, "Retry-After") or "0")
    assert 1 <= retry_after <= 15 * 60
    assert body_of(locked)["status"] == 429
    assert header(locked, "Content-Type") == "application/problem+json"


def test_lockout_is_per_email_and_case_insensitive(identity_stack: IdentityStack) -> None:
    identity_stack.register(email="ada@example.com")
    identity_stack.register(email="bob@example.com")

    failures(identity_stack, 5, "ADA@example.com")

    assert identity_stack.login_response("ada@example.com", PASSWORD)["statusCode"] == 429
    assert identity_stack.login_response("bob@example.com", PASSWORD)["statusCode"] == 200


def test_lockout_applies_to_unknown_emails_too(identity_stack: IdentityStack) -> None:
    assert failures(identity_stack, 6, "nobody@example.com")[-1] == 429


def test_lockout_state_is_shared_across_instances_through_dynamodb(identity_stack: IdentityStack) -> None:
    import identity.login

    identity_stack.register(email="ada@example.com")
    assert failures(identity_stack, 3) == [401] * 3
    # A new Lambda instance: fresh module state and fresh AWS clients; only DynamoDB is shared.
    aws_clients.clear()
    importlib.reload(identity.login)
    assert failures(identity_stack, 2) == [401] * 2

    assert identity_stack.login_response("ada@example.com", PASSWORD)["statusCode"] == 429
    counters = [
        item
        for item in client("dynamodb").scan(TableName="identity-test")["Items"]
        if item["pk"]["S"].startswith("LOGINFAIL#")
    ]
    assert len(counters) == 1
    assert sorted(name for name in counters[0] if name[0] == "s" and name[1:].isdigit()) == [
        f"s{i}" for i in range(5)
    ]
    assert int(counters[0]["expiresAt"]["N"]) > time.time()  # TTL clears it
    assert "ada" not in counters[0]["pk"]["S"]  # keyed by a hash, not the email


def test_a_malformed_login_body_is_422(identity_stack: IdentityStack) -> None:
    from tests.integration.identity.conftest import api_event, invoke

    response: dict[str, Any] = invoke("identity.login", api_event("POST", "/auth/login", {"email": "a@b.co"}))
    assert response["statusCode"] == 422


@pytest.mark.parametrize("password", ["", "x" * 2000])
def test_out_of_bounds_passwords_are_422_not_work(identity_stack: IdentityStack, password: str) -> None:
    from tests.integration.identity.conftest import api_event, invoke

    response = invoke(
        "identity.login", api_event("POST", "/auth/login", {"email": "a@b.co", "password": password})
    )
    assert response["statusCode"] == 422


class RacingStore(DynamoIdentityStore):
    """The real adapter, with every attempt's first read held until all 20 have read (the widest
    race there is), and its conditional writes serialized per item as DynamoDB serializes them
    (moto in-process does not)."""

    def __init__(self, parties: int) -> None:
        base = DynamoIdentityStore.from_env()
        super().__init__(table=base.table, users_table=base.users_table)
        object.__setattr__(self, "_barrier", threading.Barrier(parties, timeout=60))
        object.__setattr__(self, "_item_lock", threading.Lock())
        object.__setattr__(self, "_first_reads", set())

    def login_attempts(self, email_hash: str) -> Any:
        held = super().login_attempts(email_hash)
        me = threading.get_ident()
        if me not in self._first_reads:  # type: ignore[attr-defined]
            self._first_reads.add(me)  # type: ignore[attr-defined]
            self._barrier.wait()  # type: ignore[attr-defined]
        return held

    def hold_attempt(self, *args: Any, **kwargs: Any) -> bool:
        with self._item_lock:  # type: ignore[attr-defined]
            return super().hold_attempt(*args, **kwargs)


def test_twenty_parallel_wrong_passwords_get_at_most_five_guesses(identity_stack: IdentityStack) -> None:
    # Issue 18 finding 6: 20 parallel attempts used to get 8 answers of 401 before the first 429.
    from identity.keys import KmsAccessTokenIssuer
    from identity.service import Accounts
    from identity.wiring import accounts

    identity_stack.register(email="ada@example.com")
    racing = Accounts(store=RacingStore(parties=20), issue_access_token=KmsAccessTokenIssuer())
    with accounts.override(racing), ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: failures(identity_stack, 1)[0], range(20)))
    assert statuses.count(401) == 5
    assert statuses.count(429) == 15
    assert identity_stack.login_response("ada@example.com", PASSWORD)["statusCode"] == 429
