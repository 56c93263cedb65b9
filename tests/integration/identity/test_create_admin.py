"""tools/create_admin.py against moto: creates an admin, or promotes an existing account, idempotently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.identity.conftest import IDENTITY_TABLE, USERS_TABLE, IdentityStack, jwt_parts
from tools import create_admin


@pytest.fixture
def outputs(identity_stack: IdentityStack, tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(
        json.dumps(
            {
                "Commerce-dev": {
                    "ApiUrl": "http://127.0.0.1:3000/",
                    "IdentityTableName": IDENTITY_TABLE,
                    "UsersTableName": USERS_TABLE,
                    "ContactKeyId": identity_stack.contact_key,
                }
            }
        )
    )
    return path


def roles_after_login(stack: IdentityStack, email: str, password: str) -> list[str]:
    return list(jwt_parts(stack.login(email, password)["accessToken"])[1]["roles"])


def test_create_admin_creates_an_account_that_logs_in_with_the_admin_role(
    identity_stack: IdentityStack, outputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = create_admin.main(
        ["--outputs", str(outputs), "--email", "root@example.com", "--password", "root-password-1"]
    )

    assert code == 0
    assert "created" in capsys.readouterr().out
    assert roles_after_login(identity_stack, "root@example.com", "root-password-1") == ["admin", "user"]


def test_create_admin_is_idempotent(identity_stack: IdentityStack, outputs: Path) -> None:
    args = [
        "--outputs",
        str(outputs),
        "--stack",
        "Commerce-dev",
        "--email",
        "root@example.com",
        "--password",
        "root-password-1",
    ]

    assert create_admin.main(args) == 0
    assert create_admin.main(args) == 0

    assert roles_after_login(identity_stack, "root@example.com", "root-password-1") == ["admin", "user"]


def test_create_admin_promotes_an_existing_account_without_touching_its_password(
    identity_stack: IdentityStack, outputs: Path
) -> None:
    identity_stack.register(email="ada@example.com", password="ada-password-1")

    create_admin.main(
        ["--outputs", str(outputs), "--email", "ADA@example.com", "--password", "ignored-password"]
    )

    assert roles_after_login(identity_stack, "ada@example.com", "ada-password-1") == ["admin", "user"]


def test_create_admin_uses_the_dev_admin_environment_defaults(
    identity_stack: IdentityStack, outputs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTPUTS_FILE", str(outputs))
    monkeypatch.setenv("DEV_ADMIN_EMAIL", "boss@example.com")
    monkeypatch.setenv("DEV_ADMIN_PASSWORD", "boss-password-1")

    assert create_admin.main([]) == 0
    assert "admin" in roles_after_login(identity_stack, "boss@example.com", "boss-password-1")


def test_create_admin_refuses_a_weak_password(identity_stack: IdentityStack, outputs: Path) -> None:
    assert (
        create_admin.main(["--outputs", str(outputs), "--email", "a@example.com", "--password", "short"]) == 2
    )
