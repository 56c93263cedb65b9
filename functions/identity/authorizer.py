"""The API's Lambda TOKEN authorizer: verifies an ES256 access token, returns an IAM policy.

Allow covers the whole API stage (`<apiId>/<stage>/*/*`) because API Gateway caches the result for
5 minutes per token and reuses it on every route. The context carries `{userId, roles}` — the only
identity protected handlers trust. Anything wrong → `Exception("Unauthorized")`, which API Gateway
turns into a 401. The token itself is never logged.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.observability import logger, metrics, tracer
from identity import keys, tokens

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


def api_wildcard(method_arn: str) -> str:
    """`arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<verb>/<path>` → `.../<apiId>/<stage>/*/*`."""
    prefix, _, path = method_arn.partition("/")
    stage = path.split("/", 1)[0]
    if not prefix.startswith("arn:") or not stage:
        raise tokens.InvalidToken("unexpected methodArn")
    return f"{prefix}/{stage}/*/*"


def authorize(event: dict[str, Any]) -> dict[str, Any]:
    token = bearer_token(str(event.get("authorizationToken") or ""))
    kid = tokens.unverified_kid(token)
    try:
        public_key = keys.public_key(kid)
    except keys.UnknownKey:
        raise tokens.InvalidToken("unknown kid") from None
    claims = tokens.verify(token, public_key, _token_settings())
    return {
        "principalId": claims["sub"],
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": api_wildcard(str(event.get("methodArn") or "")),
                }
            ],
        },
        "context": {"userId": claims["sub"], "roles": ",".join(claims.get("roles", []))},
    }


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        return authorize(event)
    except tokens.InvalidToken as refused:
        metrics.add_metric(name="TokensRejected", unit=MetricUnit.Count, value=1)
        logger.info("token rejected", extra={"reason": str(refused)})
        raise Exception("Unauthorized") from None
