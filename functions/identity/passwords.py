"""Password hashing with scrypt (hashlib, no third-party code).

A stored hash carries its own parameters (`scrypt$n$r$p$salt$key`), so the cost can be raised later
and old hashes still verify. Comparison is constant-time, and `verify_unknown` spends the same work
as a real check so that response time does not reveal whether an email is registered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

SCHEME = "scrypt"


@dataclass(frozen=True)
class ScryptParameters:
    n: int = 2**14
    r: int = 8
    p: int = 1
    salt_bytes: int = 16
    key_bytes: int = 64


CURRENT = ScryptParameters()
_DUMMY_SALT = b"commerce-dummy-s"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=128 * r * n * 2
    )


def hash_password(password: str, parameters: ScryptParameters = CURRENT) -> str:
    salt = secrets.token_bytes(parameters.salt_bytes)
    key = _derive(password, salt, parameters.n, parameters.r, parameters.p, parameters.key_bytes)
    return f"{SCHEME}${parameters.n}${parameters.r}${parameters.p}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != SCHEME:
            return False
        expected = base64.b64decode(key)
        actual = _derive(password, base64.b64decode(salt), int(n), int(r), int(p), len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def verify_unknown(password: str) -> bool:
    """The work of one verification against no account; always False."""
    _derive(password, _DUMMY_SALT, CURRENT.n, CURRENT.r, CURRENT.p, CURRENT.key_bytes)
    return False


def needs_rehash(stored: str, parameters: ScryptParameters = CURRENT) -> bool:
    try:
        _scheme, n, r, p, _salt, _key = stored.split("$")
        return (int(n), int(r), int(p)) != (parameters.n, parameters.r, parameters.p)
    except ValueError:
        return True
