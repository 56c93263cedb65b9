"""Access tokens: ES256 JWTs whose signature comes from a key that never leaves KMS.

Encoding builds the JOSE signing input itself and hands it to a `Signer` (KMS `Sign` in
production), converting KMS's DER signature to the raw `r || s` form JWS requires. Verification
uses PyJWT with the algorithm pinned to ES256 and `exp`, `iat`, `sub`, `iss`, `aud`, `jti` required.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

ALGORITHM = "ES256"
ACCESS_TOKEN_TTL_SECONDS = 900
REQUIRED_CLAIMS = ["exp", "iat", "sub", "iss", "aud", "jti"]
_COORDINATE_BYTES = 32  # P-256


class InvalidToken(Exception):
    """The token must not be trusted; the message says why (safe to log, never the token)."""


#: Signs `message` (the JWS signing input) and returns a DER-encoded ECDSA signature.
Signer = Callable[[bytes], bytes]


@dataclass(frozen=True)
class TokenSettings:
    issuer: str
    audience: str
    ttl_seconds: int = ACCESS_TOKEN_TTL_SECONDS


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def der_to_raw_signature(der: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(der)
    return r.to_bytes(_COORDINATE_BYTES, "big") + s.to_bytes(_COORDINATE_BYTES, "big")


def access_claims(
    user_id: str, roles: Sequence[str], settings: TokenSettings, now: int, jti: str | None = None
) -> dict[str, Any]:
    return {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": user_id,
        "iat": now,
        "exp": now + settings.ttl_seconds,
        "jti": jti or str(uuid.uuid4()),
        "roles": sorted(set(roles)),
    }


def encode(claims: dict[str, Any], kid: str, sign: Signer) -> str:
    header = {"alg": ALGORITHM, "typ": "JWT", "kid": kid}
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url(json.dumps(claims, separators=(",", ":")).encode())
    )
    signature = der_to_raw_signature(sign(signing_input.encode("ascii")))
    return signing_input + "." + b64url(signature)


def unverified_kid(token: str) -> str:
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken("malformed token header") from exc
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidToken("no kid in header")
    return kid


def verify(token: str, public_key: Any, settings: TokenSettings, leeway_seconds: int = 5) -> dict[str, Any]:
    """The verified claims, or `InvalidToken`. Only ES256 is accepted, whatever the header says."""
    import jwt

    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=public_key,
            algorithms=[ALGORITHM],
            audience=settings.audience,
            issuer=settings.issuer,
            leeway=leeway_seconds,
            options={"require": REQUIRED_CLAIMS, "verify_signature": True},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(type(exc).__name__) from exc
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidToken("sub is not a user id")
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise InvalidToken("roles is not a list of strings")
    if claims["exp"] - claims["iat"] > settings.ttl_seconds:
        raise InvalidToken("lifetime longer than allowed")
    return claims


def public_jwk(public_key: Any, kid: str) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return _jwk(
        numbers.x.to_bytes(_COORDINATE_BYTES, "big"), numbers.y.to_bytes(_COORDINATE_BYTES, "big"), kid
    )


# DER SubjectPublicKeyInfo of an uncompressed P-256 point (what KMS GetPublicKey returns for an
# ECC_NIST_P256 key): SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING 04 || X || Y }.
_P256_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d03010703420004")


def public_jwk_from_spki(der: bytes, kid: str) -> dict[str, str]:
    """The JWK of a P-256 public key given as DER SubjectPublicKeyInfo, without a crypto library.

    The JWKS route only republishes public keys: parsing this one fixed layout keeps the
    `cryptography` import (tens of milliseconds) out of its cold start. Anything else is refused."""
    if len(der) != len(_P256_SPKI_PREFIX) + 2 * _COORDINATE_BYTES or not der.startswith(_P256_SPKI_PREFIX):
        raise ValueError("not an uncompressed P-256 SubjectPublicKeyInfo")
    point = der[len(_P256_SPKI_PREFIX) :]
    return _jwk(point[:_COORDINATE_BYTES], point[_COORDINATE_BYTES:], kid)


def _jwk(x: bytes, y: bytes, kid: str) -> dict[str, str]:
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(x),
        "y": b64url(y),
        "kid": kid,
        "alg": ALGORITHM,
        "use": "sig",
    }
