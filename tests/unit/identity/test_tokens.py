"""JWT encoding with an external (KMS-style DER) signer, and strict ES256 verification."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from identity import tokens

SETTINGS = tokens.TokenSettings(issuer="https://commerce.example/test", audience="commerce-api")


@pytest.fixture
def private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def der_signer(private_key: ec.EllipticCurvePrivateKey) -> tokens.Signer:
    # What KMS Sign returns for ECDSA_SHA_256: a DER-encoded signature over the message.
    return lambda message: private_key.sign(message, ec.ECDSA(hashes.SHA256()))


def test_encoded_token_carries_kid_and_claims_and_verifies_with_pyjwt(
    private_key: ec.EllipticCurvePrivateKey,
) -> None:
    now = int(time.time())
    claims = tokens.access_claims("user-1", ["user", "admin", "user"], SETTINGS, now)

    token = tokens.encode(claims, "kid-1", der_signer(private_key))

    assert jwt.get_unverified_header(token) == {"alg": "ES256", "typ": "JWT", "kid": "kid-1"}
    verified = tokens.verify(token, private_key.public_key(), SETTINGS)
    assert verified["sub"] == "user-1"
    assert verified["roles"] == ["admin", "user"]
    assert verified["exp"] - verified["iat"] == 900
    assert verified["jti"]


def test_der_signature_becomes_64_raw_bytes(private_key: ec.EllipticCurvePrivateKey) -> None:
    der = private_key.sign(b"message", ec.ECDSA(hashes.SHA256()))
    assert len(tokens.der_to_raw_signature(der)) == 64


def test_verification_pins_es256_even_for_a_validly_signed_es384_token() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    claims = tokens.access_claims("user-1", ["user"], SETTINGS, int(time.time()))
    token = jwt.encode(claims, key, algorithm="ES384", headers={"kid": "k"})

    with pytest.raises(tokens.InvalidToken):
        tokens.verify(token, key.public_key(), SETTINGS)


def test_roles_must_be_a_list_of_strings(private_key: ec.EllipticCurvePrivateKey) -> None:
    claims = tokens.access_claims("user-1", [], SETTINGS, int(time.time()))
    claims["roles"] = "admin"
    token = tokens.encode(claims, "kid-1", der_signer(private_key))

    with pytest.raises(tokens.InvalidToken):
        tokens.verify(token, private_key.public_key(), SETTINGS)


def test_public_jwk_round_trips_through_pyjwt(private_key: ec.EllipticCurvePrivateKey) -> None:
    jwk = tokens.public_jwk(private_key.public_key(), "kid-1")

    assert {jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"], jwk["kid"]} == {
        "EC",
        "P-256",
        "ES256",
        "sig",
        "kid-1",
    }
    token = tokens.encode(
        tokens.access_claims("u", [], SETTINGS, int(time.time())), "kid-1", der_signer(private_key)
    )
    assert jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["ES256"], audience="commerce-api")["sub"] == "u"


def test_unverified_kid_requires_a_kid() -> None:
    with pytest.raises(tokens.InvalidToken):
        tokens.unverified_kid(jwt.encode({"a": 1}, "k" * 32, algorithm="HS256"))


def test_the_jwk_read_from_der_matches_the_one_from_the_key_object(
    private_key: ec.EllipticCurvePrivateKey,
) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    der = private_key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert tokens.public_jwk_from_spki(der, "kid-1") == tokens.public_jwk(private_key.public_key(), "kid-1")


def test_a_der_key_that_is_not_uncompressed_p256_is_refused() -> None:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    with pytest.raises(ValueError, match="P-256"):
        tokens.public_jwk_from_spki(p384.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo), "k")
    compressed = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    )
    with pytest.raises(ValueError, match="P-256"):
        tokens.public_jwk_from_spki(compressed, "k")
