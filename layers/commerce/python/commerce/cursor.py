"""Opaque, tamper-evident pagination cursors.

A cursor is `base64url(JSON of the DynamoDB key) "." base64url(HMAC-SHA256)`. The MAC covers the
key *and* the query the cursor belongs to (its `scope`, e.g. `orders:list:<userId>`), so a cursor
cannot be edited, forged, or replayed against another user's list. Anything that does not verify
is `InvalidCursor` (a `MalformedRequest`: 400) — never a 5xx and never a different page. Adapters
page with `commerce.dynamodb.query_page`, which uses this module.

The HMAC key is a Secrets Manager secret (env `CURSOR_SECRET_ARN`, the ARN only), read with
`commerce.parameters` and cached for an hour (`SECRET_MAX_AGE_SECONDS`). Under SnapStart it is read
after each restore (never into the snapshot), so a first call does not wait for it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from typing import Any

from commerce.errors import MalformedRequest
from commerce.snapstart import load_after_restore, prime_with

CURSOR_VERSION = "1"
SECRET_MAX_AGE_SECONDS = 3600
MAX_CURSOR_CHARS = 2048


class InvalidCursor(MalformedRequest):
    def __init__(self) -> None:
        super().__init__("The cursor is invalid. Start again without one.")


@prime_with
def _secrets_client() -> None:
    """Before a SnapStart snapshot: the client that reads the key (the key, a secret, is read on
    first use)."""
    if os.environ.get("CURSOR_SECRET_ARN"):
        from commerce.aws import secretsmanager

        secretsmanager()


@load_after_restore
def _load_key() -> None:
    """After a SnapStart restore, before the first call: the key, a secret, not in the snapshot."""
    if os.environ.get("CURSOR_SECRET_ARN"):
        cursor_secret()


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict: the text must be exactly what `_b64encode` produces (no spare bits, no padding),
    so that no two cursor strings decode to the same bytes."""
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64encode(raw) != text:
        raise ValueError("non-canonical base64")
    return raw


def _mac(secret: bytes, scope: str, payload: str) -> bytes:
    message = f"v{CURSOR_VERSION}\n{scope}\n{payload}".encode()
    return hmac.new(secret, message, hashlib.sha256).digest()


def encode_cursor(key: dict[str, Any], *, scope: str, secret: bytes | None = None) -> str:
    """The cursor for DynamoDB key `key` (low-level attribute values, string attributes only)."""
    payload = _b64encode(json.dumps(key, sort_keys=True, separators=(",", ":")).encode())
    return f"{payload}.{_b64encode(_mac(secret or cursor_secret(), scope, payload))}"


def decode_cursor(cursor: str, *, scope: str, secret: bytes | None = None) -> dict[str, Any]:
    """The DynamoDB key in `cursor`; `InvalidCursor` (400) unless it was issued for this `scope`."""
    if not isinstance(cursor, str) or not cursor or len(cursor) > MAX_CURSOR_CHARS or cursor.count(".") != 1:
        raise InvalidCursor()
    payload, signature = cursor.split(".")
    try:
        presented = _b64decode(signature)
        _b64decode(payload)
    except (binascii.Error, ValueError):
        raise InvalidCursor() from None
    if not hmac.compare_digest(presented, _mac(secret or cursor_secret(), scope, payload)):
        raise InvalidCursor()
    try:
        key = json.loads(_b64decode(payload))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor() from None
    # Only what we issue: a flat map of string attributes.
    if not isinstance(key, dict) or not key:
        raise InvalidCursor()
    for name, value in key.items():
        if not (isinstance(name, str) and isinstance(value, dict) and set(value) == {"S"}):
            raise InvalidCursor()
        if not isinstance(value["S"], str):
            raise InvalidCursor()
    return key


def cursor_secret() -> bytes:
    """The HMAC key, from the secret named by `CURSOR_SECRET_ARN` (cached per process)."""
    from commerce.parameters import secret

    value = secret(os.environ["CURSOR_SECRET_ARN"], max_age=SECRET_MAX_AGE_SECONDS)
    if isinstance(value, bytes):
        return value
    return str(value).encode()
