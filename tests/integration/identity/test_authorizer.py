"""The token authorizer against moto KMS: what it accepts, and every way a token must be refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest

from commerce.aws import client
from tests.integration.catalog.helpers import body_of
from tests.integration.identity.conftest import (
    AUDIENCE,
    IDENTITY_TABLE,
    ISSUER,
    METHOD_ARN,
    IdentityStack,
    api_event,
    create_signing_key,
    invoke,
    jwt_parts,
    put_credential,
    put_signing_keys,
)


def signed(
    stack: IdentityStack, claims: dict[str, Any], *, key: str | None = None, kid: str | None = None
) -> str:
    """A token signed by a real KMS key with arbitrary claims (to test the verifier, not the issuer)."""
    from identity import keys, tokens

    key = key or stack.signing_key
    return tokens.encode(claims, kid or keys.kid_of(key), lambda message: keys.kms_sign(key, message))


def good_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "iat": now,
        "exp": now + 900,
        "jti": "jti-1",
        "roles": ["user"],
    }
    claims.update(overrides)
    return claims


def b64(data: dict[str, Any]) -> str:
    from identity.tokens import b64url

    return b64url(json.dumps(data, separators=(",", ":")).encode())


pytestmark = pytest.mark.usefixtures("live_subjects")


def assert_denied(stack: IdentityStack, token: str) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        stack.authorize(token)


def test_valid_token_is_allowed_on_the_whole_api_with_user_and_roles_in_context(
    identity_stack: IdentityStack,
) -> None:
    token = signed(identity_stack, good_claims(sub="u-42", roles=["admin", "user"]))

    result = identity_stack.authorize(token)

    assert result["principalId"] == "u-42"
    assert result["context"] == {"userId": "u-42", "roles": "admin,user"}
    statement = result["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "execute-api:Invoke"
    # API-wide, because API Gateway reuses the cached result on every route for this token.
    # A statement's Resource is one ARN or a list (IAM policy "Resource"; AWS: "Output from an API
    # Gateway Lambda authorizer"); Powertools' APIGatewayAuthorizerResponse writes a list.
    assert statement["Resource"] == ["arn:aws:execute-api:us-east-1:123456789012:abc123/test/*/*"]


def test_token_issued_by_login_is_allowed(identity_stack: IdentityStack) -> None:
    user = identity_stack.register()
    access = identity_stack.login()["accessToken"]

    assert identity_stack.user_for(access) == (user["userId"], "user")


def test_alg_none_is_rejected(identity_stack: IdentityStack) -> None:
    from identity.keys import kid_of

    token = (
        b64({"alg": "none", "typ": "JWT", "kid": kid_of(identity_stack.signing_key)})
        + "."
        + b64(good_claims())
        + "."
    )

    assert_denied(identity_stack, token)


def test_hs256_signed_with_the_public_key_is_rejected(identity_stack: IdentityStack) -> None:
    from cryptography.hazmat.primitives import serialization
    from identity.keys import kid_of
    from identity.tokens import b64url

    der = client("kms").get_public_key(KeyId=identity_stack.signing_key)["PublicKey"]
    pem = serialization.load_der_public_key(der).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = (
        b64({"alg": "HS256", "typ": "JWT", "kid": kid_of(identity_stack.signing_key)})
        + "."
        + b64(good_claims())
    )
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()

    assert_denied(identity_stack, signing_input + "." + b64url(mac))


def test_expired_token_is_rejected(identity_stack: IdentityStack) -> None:
    now = int(time.time())
    assert_denied(identity_stack, signed(identity_stack, good_claims(iat=now - 1000, exp=now - 100)))


def test_wrong_audience_is_rejected(identity_stack: IdentityStack) -> None:
    assert_denied(identity_stack, signed(identity_stack, good_claims(aud="another-api")))


def test_wrong_issuer_is_rejected(identity_stack: IdentityStack) -> None:
    assert_denied(identity_stack, signed(identity_stack, good_claims(iss="https://evil.example/test")))


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "iss", "aud", "jti"])
def test_token_missing_a_required_claim_is_rejected(identity_stack: IdentityStack, claim: str) -> None:
    claims = good_claims()
    del claims[claim]
    assert_denied(identity_stack, signed(identity_stack, claims))


def test_tampered_payload_is_rejected(identity_stack: IdentityStack) -> None:
    header, _payload, signature = signed(identity_stack, good_claims(roles=["user"])).split(".")
    forged = header + "." + b64(good_claims(roles=["admin", "user"])) + "." + signature

    assert_denied(identity_stack, forged)


def test_unknown_kid_is_rejected(identity_stack: IdentityStack) -> None:
    # Signed by a real KMS key that is not listed in the signing-keys parameter.
    stray_key = create_signing_key()

    assert_denied(identity_stack, signed(identity_stack, good_claims(), key=stray_key))


def test_token_claiming_a_listed_kid_but_signed_by_another_key_is_rejected(
    identity_stack: IdentityStack,
) -> None:
    from identity.keys import kid_of

    stray_key = create_signing_key()
    token = signed(identity_stack, good_claims(), key=stray_key, kid=kid_of(identity_stack.signing_key))

    assert_denied(identity_stack, token)


def test_lifetime_longer_than_15_minutes_is_rejected(identity_stack: IdentityStack) -> None:
    now = int(time.time())
    assert_denied(identity_stack, signed(identity_stack, good_claims(iat=now, exp=now + 3600)))


@pytest.mark.parametrize("header", ["", "Bearer", "Basic dXNlcjpwYXNz", "Bearer not-a-jwt", "Bearer a.b.c"])
def test_missing_or_malformed_authorization_is_rejected(identity_stack: IdentityStack, header: str) -> None:
    from identity import authorizer

    from tests.conftest import FakeLambdaContext

    event = {"type": "TOKEN", "authorizationToken": header, "methodArn": METHOD_ARN}
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.lambda_handler(event, FakeLambdaContext())


def test_public_keys_are_cached_across_invocations(
    identity_stack: IdentityStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from identity import keys

    calls: list[str] = []
    fetch = keys._public_key_der

    def counting_fetch(kid: str, ref: str) -> bytes:
        calls.append(ref)
        return fetch(kid, ref)

    monkeypatch.setattr(keys, "_public_key_der", counting_fetch)

    for sub in ("a", "b", "c"):
        identity_stack.authorize(signed(identity_stack, good_claims(sub=sub)))

    assert calls == [identity_stack.signing_key]


def test_rotated_key_signs_new_tokens_while_old_tokens_stay_valid(identity_stack: IdentityStack) -> None:
    from identity import keys

    identity_stack.register()
    old_access = identity_stack.login()["accessToken"]
    new_key = create_signing_key()
    put_signing_keys(new_key, [identity_stack.signing_key, new_key])
    keys.reset_caches()  # what the 5-minute parameter cache expiry does in a running function

    new_access = identity_stack.login()["accessToken"]

    assert jwt_parts(old_access)[0]["kid"] == keys.kid_of(identity_stack.signing_key)
    assert jwt_parts(new_access)[0]["kid"] == keys.kid_of(new_key)
    assert identity_stack.authorize(old_access)["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert identity_stack.authorize(new_access)["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    published = {
        key["kid"]
        for key in body_of(invoke("identity.jwks", api_event("GET", "/.well-known/jwks.json")))["keys"]
    }
    assert published == {keys.kid_of(identity_stack.signing_key), keys.kid_of(new_key)}


def test_retired_key_no_longer_verifies(identity_stack: IdentityStack) -> None:
    from identity import keys

    identity_stack.register()
    old_access = identity_stack.login()["accessToken"]
    new_key = create_signing_key()
    put_signing_keys(new_key, [new_key])
    keys.reset_caches()

    assert_denied(identity_stack, old_access)


def test_unknown_kid_rereads_the_key_list_once_so_a_fresh_rotation_is_seen(
    identity_stack: IdentityStack,
) -> None:
    from identity import keys

    identity_stack.authorize(signed(identity_stack, good_claims()))  # caches the parameter
    new_key = create_signing_key()
    put_signing_keys(new_key, [identity_stack.signing_key, new_key])

    result = identity_stack.authorize(signed(identity_stack, good_claims(), key=new_key))

    assert result["context"]["userId"] == "user-1"
    assert keys.kid_of(new_key) in keys.signing_keys().by_kid


# ---- revocation (issue 18 finding 5): a deleted or disabled account's tokens stop at once ---------


def test_a_token_of_an_account_that_no_longer_exists_is_refused(identity_stack: IdentityStack) -> None:
    assert_denied(identity_stack, signed(identity_stack, good_claims(sub="never-registered")))
    token = signed(identity_stack, good_claims(sub="user-1"))
    assert identity_stack.authorize(token)["principalId"] == "user-1"
    client("dynamodb").delete_item(
        TableName=IDENTITY_TABLE, Key={"pk": {"S": "USER#user-1"}, "sk": {"S": "CREDENTIAL"}}
    )
    assert_denied(identity_stack, token)


def test_a_disabled_account_or_revoked_tokens_are_refused(identity_stack: IdentityStack) -> None:
    now = int(time.time())
    older = signed(identity_stack, good_claims(sub="u-42", iat=now - 60, exp=now + 800))
    newer = signed(identity_stack, good_claims(sub="u-42", iat=now, exp=now + 900))
    put_credential("u-42", tokensValidAfter=now - 30)  # e.g. "log out everywhere" 30 s ago
    assert_denied(identity_stack, older)
    assert identity_stack.authorize(newer)["principalId"] == "u-42"
    put_credential("u-42", status="disabled")
    assert_denied(identity_stack, newer)


def test_the_revocation_check_is_one_consistent_projected_get_item(identity_stack: IdentityStack) -> None:
    from unittest import mock

    from commerce import aws

    token = signed(identity_stack, good_claims(sub="user-1"))
    identity_stack.authorize(token)  # keys cached
    real = aws.dynamodb()
    with mock.patch.object(real, "get_item", wraps=real.get_item) as get_item:
        identity_stack.authorize(token)
    [call] = get_item.call_args_list
    assert call.kwargs["ConsistentRead"] is True
    assert call.kwargs["Key"] == {"pk": {"S": "USER#user-1"}, "sk": {"S": "CREDENTIAL"}}
    assert call.kwargs["ProjectionExpression"] == "pk, tokensValidAfter, #status"
