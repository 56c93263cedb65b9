"""KMS and SSM adapter: which keys sign and verify, KMS `Sign`, public keys, contact encryption
(the signing and contact *keys*; the identity table's key layout is commerce.identity_table).

The key set is `{"active": <key>, "verify": [<key>, ...]}` (key ids or ARNs). `active` signs new
tokens; every key in `verify` (plus `active`) may have signed a live token, so the authorizer
accepts it and JWKS publishes it.

Where it comes from: the deploy writes the set both into the SSM parameter named by
`SIGNING_KEYS_PARAMETER` and into the functions' `SIGNING_KEYS` variable (key ids are public). A new
execution environment takes the variable and calls nothing: a burst of cold starts would otherwise
read the parameter once each, and Parameter Store's standard throughput (40 GetParameter calls a
second, shared by the account and region) throttles them. A `kid` that is not in the set — a key a
newer deploy added — triggers at most one forced read of the parameter per minute per environment,
whose answer is kept; a failed read keeps the current set. Without `SIGNING_KEYS` (older
configuration, tests) the parameter is read and cached for 5 minutes. Public keys are cached for
the life of the process.
https://docs.aws.amazon.com/general/latest/gr/ssm.html#limits_ssm
"""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from commerce.aws import kms, ssm
from commerce.observability import logger
from commerce.parameters import clear as clear_parameters
from commerce.parameters import ssm_parameter
from commerce.snapstart import prime_with, refresh_with

PARAMETER_MAX_AGE_SECONDS = 300
FORCED_REFRESH_INTERVAL_SECONDS = 60

_public_keys: dict[str, Any] = {}
_public_key_ders: dict[str, bytes] = {}
_last_forced_refresh = [0.0]
_from_parameter: list[SigningKeys | None] = [None]  # a forced read's answer, newer than the deploy's


class UnknownKey(Exception):
    pass


def kid_of(key_ref: str) -> str:
    """The `kid` of a key: its KMS key id (an ARN `...:key/<id>` is reduced to `<id>`)."""
    return key_ref.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class SigningKeys:
    active: str
    verify: tuple[str, ...]

    @property
    def by_kid(self) -> dict[str, str]:
        refs = {kid_of(ref): ref for ref in self.verify}
        refs.setdefault(kid_of(self.active), self.active)
        return refs


def signing_keys(*, force: bool = False) -> SigningKeys:
    deployed = os.environ.get("SIGNING_KEYS")
    if deployed:
        if force:
            try:
                _from_parameter[0] = _parse(_read_parameter(force=True))
            except (ClientError, BotoCoreError, ValueError, KeyError):  # throttled, unreachable: keep ours
                logger.warning("could not re-read the signing keys parameter", exc_info=True)
        return _from_parameter[0] or _deployed(deployed)
    return _parse(_read_parameter(force=force))


@cache
def _deployed(text: str) -> SigningKeys:
    return _parse(json.loads(text))


def _read_parameter(*, force: bool) -> Any:
    return ssm_parameter(
        os.environ["SIGNING_KEYS_PARAMETER"], as_json=True, max_age=PARAMETER_MAX_AGE_SECONDS, force=force
    )


def _parse(raw: Any) -> SigningKeys:
    verify = raw.get("verify") or []
    if isinstance(verify, str):
        verify = [verify]
    return SigningKeys(active=str(raw["active"]), verify=tuple(str(ref) for ref in verify))


def kms_sign(key_ref: str, message: bytes) -> bytes:
    """A DER ECDSA P-256/SHA-256 signature of `message` (the JWS signing input, < 4 KiB)."""
    response = kms().sign(KeyId=key_ref, Message=message, MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256")
    return bytes(response["Signature"])


def _public_key_der(kid: str, key_ref: str) -> bytes:
    if kid not in _public_key_ders:
        _public_key_ders[kid] = bytes(kms().get_public_key(KeyId=key_ref)["PublicKey"])
    return _public_key_ders[kid]


def _key_ref(kid: str) -> str:
    refs = signing_keys().by_kid
    if kid not in refs and time.monotonic() - _last_forced_refresh[0] > FORCED_REFRESH_INTERVAL_SECONDS:
        _last_forced_refresh[0] = time.monotonic()
        refs = signing_keys(force=True).by_kid
    if kid not in refs:
        raise UnknownKey(kid)
    return refs[kid]


def public_key(kid: str) -> Any:
    """The public key for `kid` if that key may verify tokens now; `UnknownKey` otherwise."""
    ref = _key_ref(kid)  # checked every time: a key dropped from the parameter no longer verifies
    if kid not in _public_keys:
        from cryptography.hazmat.primitives.serialization import load_der_public_key

        _public_keys[kid] = load_der_public_key(_public_key_der(kid, ref))
    return _public_keys[kid]


def verification_key_ders() -> dict[str, bytes]:
    """kid → DER SubjectPublicKeyInfo for every key that may have signed a live token (for JWKS)."""
    return {kid: _public_key_der(kid, ref) for kid, ref in signing_keys().by_kid.items()}


def encrypt_contact(email: str, user_id: str) -> str:
    """The email encrypted under the contact key, bound to the user id (base64)."""
    blob = kms().encrypt(
        KeyId=os.environ["CONTACT_KEY_ID"],
        Plaintext=email.encode("utf-8"),
        EncryptionContext={"userId": user_id},
    )["CiphertextBlob"]
    return base64.b64encode(bytes(blob)).decode("ascii")


@prime_with
def _load_public_keys() -> None:
    """Before a SnapStart snapshot: every verification key's public key (public, so it may be in
    the snapshot; a key added later is fetched on first use, as without SnapStart)."""
    from cryptography.hazmat.primitives.serialization import load_der_public_key  # noqa: F401

    if not _has_key_set():
        return  # a function that issues no token and verifies none (e.g. logout)
    if os.environ.get("SIGNING_KEYS_PARAMETER"):
        ssm()  # the client of a forced re-read (an unknown kid), made before the snapshot
    for kid in signing_keys().by_kid:
        public_key(kid)


def _has_key_set() -> bool:
    return bool(os.environ.get("SIGNING_KEYS") or os.environ.get("SIGNING_KEYS_PARAMETER"))


@refresh_with
def _forget_forced_refresh_time() -> None:
    """After a restore: the monotonic time recorded before the snapshot means nothing now."""
    _last_forced_refresh[0] = 0.0


def reset_caches() -> None:
    """Forget every cached key and parameter (tests; a new process starts this way)."""
    _public_keys.clear()
    _public_key_ders.clear()
    _last_forced_refresh[0] = 0.0
    _from_parameter[0] = None
    clear_parameters()


# ---- access tokens signed by the active key -------------------------------------------------


def token_settings() -> Any:
    from identity.tokens import TokenSettings

    return TokenSettings(issuer=os.environ["JWT_ISSUER"], audience=os.environ["JWT_AUDIENCE"])


class KmsAccessTokenIssuer:
    """Issues ES256 access tokens signed by the currently active KMS key (`kid` = its key id).

    Its settings (issuer, audience: JWT_ISSUER, JWT_AUDIENCE) are read when the first token is
    issued, so functions that never issue one can build it without them."""

    def __init__(self, settings: Any | None = None) -> None:
        from identity.tokens import ACCESS_TOKEN_TTL_SECONDS

        self._settings = settings
        self.ttl_seconds: int = settings.ttl_seconds if settings is not None else ACCESS_TOKEN_TTL_SECONDS

    def prime(self) -> None:
        """Before a SnapStart snapshot (commerce.snapstart): the KMS client, the token module and
        the key set (key ids are public)."""
        from identity import tokens  # noqa: F401

        kms()
        if _has_key_set():
            signing_keys()

    def __call__(self, user_id: str, roles: Any, now: int) -> str:
        from identity import tokens

        if self._settings is None:
            self._settings = token_settings()
        active = signing_keys().active
        claims = tokens.access_claims(user_id, roles, self._settings, now)
        return tokens.encode(claims, kid_of(active), lambda message: kms_sign(active, message))
