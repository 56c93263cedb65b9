"""POST /auth/register: the account, its uniqueness, its validation and its UserRegistered event."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from commerce.aws import client
from tests.integration.catalog.helpers import body_of, header
from tests.integration.conftest import bus_with_capture_queue, drain, stream_records
from tests.integration.identity.conftest import IDENTITY_TABLE, USERS_TABLE, IdentityStack, api_event, invoke


def register(body: Any, raw: str | None = None) -> dict[str, Any]:
    return invoke("identity.register", api_event("POST", "/auth/register", body, raw_body=raw))


def scan(table: str) -> list[dict[str, Any]]:
    from commerce.items import from_attribute_values

    return [from_attribute_values(item) for item in client("dynamodb").scan(TableName=table)["Items"]]


def test_register_returns_201_with_user_id_email_and_name(identity_stack: IdentityStack) -> None:
    response = register({"email": "Ada@Example.com", "password": "correct-horse-battery", "name": "Ada"})

    assert response["statusCode"] == 201
    body = body_of(response)
    assert set(body) == {"userId", "email", "name"}
    assert body["email"] == "Ada@Example.com"
    assert body["name"] == "Ada"


def test_email_uniqueness_is_case_insensitive(identity_stack: IdentityStack) -> None:
    identity_stack.register(email="ada@example.com")

    response = register({"email": "ADA@Example.COM", "password": "another-password-1", "name": "Imposter"})

    assert response["statusCode"] == 409
    assert header(response, "Content-Type") == "application/problem+json"
    assert body_of(response)["status"] == 409


def test_a_conflicting_registration_writes_nothing(identity_stack: IdentityStack) -> None:
    identity_stack.register(email="ada@example.com")
    before = len(scan(IDENTITY_TABLE)), len(scan(USERS_TABLE))

    register({"email": "ada@EXAMPLE.com", "password": "another-password-1", "name": "Imposter"})

    assert (len(scan(IDENTITY_TABLE)), len(scan(USERS_TABLE))) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "ada@example.com", "password": "short", "name": "Ada"}, "password"),
        ({"email": "not-an-email", "password": "correct-horse-battery", "name": "Ada"}, "email"),
        ({"email": "ada@example.com", "password": "correct-horse-battery", "name": ""}, "name"),
        ({"email": "ada@example.com", "password": "correct-horse-battery", "name": "x" * 101}, "name"),
        ({"email": "ada@example.com", "password": "correct-horse-battery"}, "name"),
        (
            {
                "email": "ada@example.com",
                "password": "correct-horse-battery",
                "name": "Ada",
                "roles": ["admin"],
            },
            "roles",
        ),
    ],
)
def test_invalid_registration_is_422_problem_with_the_field(
    identity_stack: IdentityStack, body: dict[str, Any], field: str
) -> None:
    response = register(body)

    assert response["statusCode"] == 422
    problem = body_of(response)
    assert problem["status"] == 422
    assert any(field in error["loc"] for error in problem["errors"])
    assert scan(IDENTITY_TABLE) == []


def test_malformed_json_is_400(identity_stack: IdentityStack) -> None:
    response = register(None, raw='{"email": ')
    assert response["statusCode"] == 400
    assert body_of(response)["status"] == 400


def test_password_is_stored_only_as_a_salted_scrypt_hash(identity_stack: IdentityStack) -> None:
    identity_stack.register(email="ada@example.com", password="correct-horse-battery")
    identity_stack.register(email="bob@example.com", password="correct-horse-battery")

    hashes = [item["passwordHash"] for item in scan(IDENTITY_TABLE) if item.get("entity") == "Credential"]

    assert len(hashes) == 2
    assert all(h.startswith("scrypt$16384$8$1$") for h in hashes)
    assert hashes[0] != hashes[1]  # per-user salt
    assert "correct-horse-battery" not in json.dumps(scan(IDENTITY_TABLE) + scan(USERS_TABLE), default=str)


def test_registration_publishes_user_registered_with_the_email_encrypted(
    identity_stack: IdentityStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = bus_with_capture_queue()
    monkeypatch.setenv("EVENT_BUS_NAME", "commerce-test")
    user = identity_stack.register(email="ada@example.com")

    from system import outbox_relay

    from tests.conftest import FakeLambdaContext

    result = outbox_relay.lambda_handler({"Records": stream_records(IDENTITY_TABLE)}, FakeLambdaContext())
    assert result == {"batchItemFailures": []}

    events = drain(queue)
    assert [(e["source"], e["detail-type"]) for e in events] == [("commerce.identity", "UserRegistered")]
    data = events[0]["detail"]["data"]
    assert data["userId"] == user["userId"]
    assert data["roles"] == ["user"]
    assert "ada@example.com" not in json.dumps(events[0]).lower()
    plaintext = client("kms").decrypt(
        CiphertextBlob=base64.b64decode(data["contact"]), EncryptionContext={"userId": user["userId"]}
    )["Plaintext"]
    assert plaintext == b"ada@example.com"


def test_profile_is_written_in_the_same_transaction(identity_stack: IdentityStack) -> None:
    user = identity_stack.register(email="ada@example.com", name="Ada")

    profiles = scan(USERS_TABLE)

    assert len(profiles) == 1
    assert profiles[0]["userId"] == user["userId"]
    assert profiles[0]["name"] == "Ada"
    assert profiles[0]["roles"] == ["user"]
    assert "passwordHash" not in profiles[0]


@pytest.mark.parametrize(
    ("first", "second"),
    [("jos\u00e9@example.com", "jose\u0301@example.com"), ("\uff41da@example.com", "ADA@example.com")],
)
def test_one_address_in_two_unicode_spellings_is_one_account(
    identity_stack: IdentityStack, first: str, second: str
) -> None:
    # Issue 18 finding 7: NFC and NFD used to register two accounts.
    identity_stack.register(email=first)
    body = {"email": second, "password": "another-password-1", "name": "Twin"}
    assert invoke("identity.register", api_event("POST", "/auth/register", body))["statusCode"] == 409
    assert identity_stack.login(second)["tokenType"] == "Bearer"
    claims = [
        i
        for i in client("dynamodb").scan(TableName=IDENTITY_TABLE)["Items"]
        if i["pk"]["S"].startswith("EMAIL#")
    ]
    assert len(claims) == 1
