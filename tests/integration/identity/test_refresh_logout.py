"""POST /auth/refresh and /auth/logout: rotation, reuse detection, family revocation."""

from __future__ import annotations

import hashlib
import json

from commerce.aws import client
from tests.integration.catalog.helpers import body_of, header
from tests.integration.identity.conftest import IDENTITY_TABLE, IdentityStack, jwt_parts


def test_refresh_returns_a_new_pair_and_spends_the_old_token(identity_stack: IdentityStack) -> None:
    user = identity_stack.register()
    first = identity_stack.login()

    response = identity_stack.refresh(first["refreshToken"])

    assert response["statusCode"] == 200
    second = body_of(response)
    assert second["tokenType"] == "Bearer"
    assert second["expiresIn"] == 900
    assert second["refreshToken"] != first["refreshToken"]
    assert jwt_parts(second["accessToken"])[1]["sub"] == user["userId"]
    assert identity_stack.refresh(second["refreshToken"])["statusCode"] == 200


def test_reused_refresh_token_revokes_the_family(identity_stack: IdentityStack) -> None:
    identity_stack.register()
    first = identity_stack.login()
    second = body_of(identity_stack.refresh(first["refreshToken"]))

    reuse = identity_stack.refresh(first["refreshToken"])

    assert reuse["statusCode"] == 401
    assert header(reuse, "Content-Type") == "application/problem+json"
    # The legitimate-looking newest token of the family is dead too.
    assert identity_stack.refresh(second["refreshToken"])["statusCode"] == 401


def test_revoking_one_family_leaves_other_sessions_alone(identity_stack: IdentityStack) -> None:
    identity_stack.register()
    laptop = identity_stack.login()
    phone = identity_stack.login()
    identity_stack.refresh(laptop["refreshToken"])
    identity_stack.refresh(laptop["refreshToken"])  # reuse → the laptop family is revoked

    assert identity_stack.refresh(phone["refreshToken"])["statusCode"] == 200


def test_unknown_refresh_token_is_401_problem(identity_stack: IdentityStack) -> None:
    response = identity_stack.refresh("x" * 43)

    assert response["statusCode"] == 401
    assert body_of(response)["status"] == 401


def test_expired_refresh_token_is_401(identity_stack: IdentityStack) -> None:
    identity_stack.register()
    pair = identity_stack.login()
    digest = hashlib.sha256(pair["refreshToken"].encode()).hexdigest()
    client("dynamodb").update_item(
        TableName=IDENTITY_TABLE,
        Key={"pk": {"S": f"REFRESH#{digest}"}, "sk": {"S": "REFRESH"}},
        UpdateExpression="SET expiresAt = :past",
        ExpressionAttributeValues={":past": {"N": "1000"}},
    )

    assert identity_stack.refresh(pair["refreshToken"])["statusCode"] == 401


def test_refresh_tokens_are_stored_only_as_sha256_hashes_with_ttl(identity_stack: IdentityStack) -> None:
    identity_stack.register()
    pair = identity_stack.login()
    rotated = body_of(identity_stack.refresh(pair["refreshToken"]))

    items = client("dynamodb").scan(TableName=IDENTITY_TABLE)["Items"]
    dump = json.dumps(items)

    for token in (pair["refreshToken"], rotated["refreshToken"]):
        assert token not in dump
        digest = hashlib.sha256(token.encode()).hexdigest()
        stored = [i for i in items if i["pk"]["S"] == f"REFRESH#{digest}"]
        assert len(stored) == 1
        assert int(stored[0]["expiresAt"]["N"]) > 0


def test_logout_is_204_and_revokes_the_family(identity_stack: IdentityStack) -> None:
    identity_stack.register()
    first = identity_stack.login()
    second = body_of(identity_stack.refresh(first["refreshToken"]))

    response = identity_stack.logout(second["refreshToken"])

    assert response["statusCode"] == 204
    assert not response.get("body")
    assert identity_stack.refresh(second["refreshToken"])["statusCode"] == 401


def test_logout_with_an_unknown_token_is_401(identity_stack: IdentityStack) -> None:
    assert identity_stack.logout("y" * 43)["statusCode"] == 401
