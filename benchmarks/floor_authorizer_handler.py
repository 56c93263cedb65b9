"""The authorizer floor: the plain floor plus what verifying an access token requires.

Powertools Logger, Tracer, Metrics and one boto3 client (issue 8's floor), plus PyJWT (the design
card's JWT library, with `cryptography` for ES256) checking a bearer token against one P-256 public
key, as API Gateway's TOKEN authorizer is called. The authorizer's cold start is compared with this
one (budget <= 1.15x, benchmarks/coldstart.py), as route functions are with the HTTP floor: the gap
is what our own code costs (its key set, the revocation check), not the library the token needs.
The sample event (benchmarks/events/floor_authorizer.json) carries a bad signature, like the
authorizer's own sample, so both refuse.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
_client: Any = None
_key: list[Any] = []
# A P-256 public key (DER SubjectPublicKeyInfo) made for this floor; its private key was discarded.
PUBLIC_KEY_DER = bytes.fromhex(
    "3059301306072a8648ce3d020106082a8648ce3d030107034200047b20b98a729a70764e4449e869098f2ba968b390"
    "70d83a388303bda6a66f5197322e0a6747e25d935b939add924d2b15a02f9df8eac4764eccfe712de1988513"
)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _client
    import jwt
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    if _client is None:
        _client = boto3.client("dynamodb")
    if not _key:
        _key.append(load_der_public_key(PUBLIC_KEY_DER))
    _, _, token = str(event.get("authorizationToken") or "").partition(" ")
    try:
        jwt.get_unverified_header(token)
        claims = jwt.decode(token, key=_key[0], algorithms=["ES256"], audience="floor", issuer="floor")
    except jwt.PyJWTError:
        raise Exception("Unauthorized") from None  # what API Gateway turns into a 401
    return {"principalId": claims["sub"], "policyDocument": {"Version": "2012-10-17", "Statement": []}}
