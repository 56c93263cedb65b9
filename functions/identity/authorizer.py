"""The API's Lambda TOKEN authorizer: verifies an ES256 access token, then that its user may still
use it, and returns an IAM policy (Powertools' `APIGatewayAuthorizerResponse`).

Revocation is checked on every request: one strongly consistent GetItem of the user's credential
(`Accounts.access_revoked`): no credential (the account was deleted), `status = disabled`, or a token
issued before `tokensValidAfter` → refused at once. API Gateway's result cache is therefore off
(TTL 0, cdk/constructs/api.py): a cached Allow would outlive a deletion by up to the TTL
(docs/decisions.md §23 weighs the options and what each costs, benchmarks/revocation.py measures
it). The policy still allows the whole stage (`<apiId>/<stage>/*/*`), so turning the cache back on
stays correct for every route. The context carries `{userId, roles}` — the only identity protected
handlers trust. Anything wrong → `Exception("Unauthorized")`, which API Gateway turns into a 401.
The token itself is never logged.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponse,
    parse_api_gateway_arn,
)

from commerce.observability import instrumented, logger, metrics
from identity import keys, tokens
from identity.wiring import access

_settings: list[tokens.TokenSettings] = []


def _token_settings() -> tokens.TokenSettings:
    if not _settings:
        _settings.append(keys.token_settings())
    return _settings[0]


def bearer_token(header: str) -> str:
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise tokens.InvalidToken("not a bearer token")
    return token.strip()


def allow_the_stage(method_arn: str, principal_id: str, context: dict[str, str]) -> dict[str, Any]:
    """The policy (Powertools' `APIGatewayAuthorizerResponse`) that allows every route of the stage
    `method_arn` (`arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<verb>/<path>`) belongs to."""
    parts = method_arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[5].count("/") < 2:
        raise tokens.InvalidToken("unexpected methodArn")
    route = parse_api_gateway_arn(method_arn)
    if not route.api_id or not route.stage:
        raise tokens.InvalidToken("unexpected methodArn")
    response = APIGatewayAuthorizerResponse(
        principal_id=principal_id,
        region=route.region,
        aws_account_id=route.aws_account_id,
        api_id=route.api_id,
        stage=route.stage,
        context=context,
        partition=route.partition,
    )
    response.allow_all_routes()
    return response.asdict()


def authorize(event: dict[str, Any]) -> dict[str, Any]:
    token = bearer_token(str(event.get("authorizationToken") or ""))
    kid = tokens.unverified_kid(token)
    try:
        public_key = keys.public_key(kid)
    except keys.UnknownKey:
        raise tokens.InvalidToken("unknown kid") from None
    claims = tokens.verify(token, public_key, _token_settings())
    if access().access_revoked(claims["sub"], int(claims["iat"])):
        raise tokens.InvalidToken("revoked: the account is gone or its tokens were revoked")
    context = {"userId": claims["sub"], "roles": ",".join(claims.get("roles", []))}
    return allow_the_stage(str(event.get("methodArn") or ""), claims["sub"], context)


def handle(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    try:
        return authorize(event)
    except tokens.InvalidToken as refused:
        metrics.add_metric(name="TokensRejected", unit=MetricUnit.Count, value=1)
        logger.info("token rejected", extra={"reason": str(refused)})
        raise Exception("Unauthorized") from None


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def warm_up_events() -> list[dict[str, Any]]:
    """SnapStart priming (commerce.snapstart): a well-formed token for the active key whose
    signature cannot verify, so the whole verification path runs and the token is refused."""
    from commerce.snapstart import PRIMING_CALLER

    kid = keys.kid_of(keys.signing_keys().active)
    header = _b64url(json.dumps({"alg": "ES256", "kid": kid, "typ": "JWT"}).encode())
    claims = _b64url(json.dumps({"sub": PRIMING_CALLER}).encode())
    token = f"{header}.{claims}.{_b64url(bytes(64))}"
    arn = "arn:aws:execute-api:us-east-1:000000000000:priming/priming/GET/priming"
    return [{"type": "TOKEN", "authorizationToken": f"Bearer {token}", "methodArn": arn}]


lambda_handler = instrumented(handle, warm_up=warm_up_events)
