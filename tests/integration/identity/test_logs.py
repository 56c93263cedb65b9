"""Nothing secret or personal reaches the logs: not the password, its hash, a token or the email."""

from __future__ import annotations

import pytest

from commerce.aws import client
from tests.integration.catalog.helpers import body_of
from tests.integration.identity.conftest import IdentityStack


def test_no_password_hash_token_or_email_appears_in_logs(
    identity_stack: IdentityStack, capsys: pytest.CaptureFixture[str]
) -> None:
    from commerce.observability import logger

    logger.setLevel("DEBUG")
    try:
        password = "very-secret-password-1"
        email = "grace.hopper@example.com"
        user = identity_stack.register(email=email, password=password, name="Grace")
        pair = identity_stack.login(email, password)
        rotated = body_of(identity_stack.refresh(pair["refreshToken"]))
        identity_stack.refresh(pair["refreshToken"])  # reuse
        identity_stack.login_response(email, "wrong-password-xyz")
        identity_stack.login_response("unknown@example.com", "wrong-password-xyz")
        identity_stack.authorize(rotated["accessToken"])
        with pytest.raises(Exception, match="Unauthorized"):
            identity_stack.authorize(rotated["accessToken"] + "x")
        identity_stack.logout(rotated["refreshToken"])
    finally:
        logger.setLevel("INFO")

    logs = capsys.readouterr()
    captured = logs.out + logs.err
    credential = client("dynamodb").get_item(
        TableName="identity-test", Key={"pk": {"S": f"USER#{user['userId']}"}, "sk": {"S": "CREDENTIAL"}}
    )["Item"]
    password_hash = credential["passwordHash"]["S"]
    assert captured  # the functions did log (user ids, outcomes)
    for secret in (
        password,
        "wrong-password-xyz",
        password_hash,
        password_hash.split("$")[-1],
        pair["accessToken"],
        pair["accessToken"].split(".")[2],
        pair["refreshToken"],
        rotated["accessToken"],
        rotated["refreshToken"],
        email,
        "unknown@example.com",
    ):
        assert secret not in captured
