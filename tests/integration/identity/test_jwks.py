"""GET /.well-known/jwks.json: public keys a client can verify our tokens with."""

from __future__ import annotations

import jwt

from tests.integration.catalog.helpers import body_of, header
from tests.integration.identity.conftest import AUDIENCE, IdentityStack, api_event, invoke


def test_jwks_publishes_the_signing_key_as_an_es256_p256_jwk_with_caching(
    identity_stack: IdentityStack,
) -> None:
    from identity.keys import kid_of

    response = invoke("identity.jwks", api_event("GET", "/.well-known/jwks.json"))

    assert response["statusCode"] == 200
    assert header(response, "Cache-Control") == "public, max-age=300"
    (key,) = body_of(response)["keys"]
    assert key["kid"] == kid_of(identity_stack.signing_key)
    assert {k: key[k] for k in ("kty", "crv", "alg", "use")} == {
        "kty": "EC",
        "crv": "P-256",
        "alg": "ES256",
        "use": "sig",
    }
    assert "d" not in key  # public only


def test_a_client_can_verify_an_access_token_with_the_published_jwk(identity_stack: IdentityStack) -> None:
    user = identity_stack.register()
    token = identity_stack.login()["accessToken"]
    jwks = body_of(invoke("identity.jwks", api_event("GET", "/.well-known/jwks.json")))

    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
    claims = jwt.decode(token, key.key, algorithms=["ES256"], audience=AUDIENCE)

    assert claims["sub"] == user["userId"]
