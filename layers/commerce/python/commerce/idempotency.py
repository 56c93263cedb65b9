"""Run a side effect outside DynamoDB (a charge, an email) at most once per key.

A thin wrapper over Powertools Idempotency with its records in the service's own table
(`pk = IDEMPOTENCY#<name>#<hash of key>`, `sk = IDEMPOTENCY`, TTL `expiresAt`): one partition per
record, since Powertools' composite-key layout (one static partition key for every record of a
name) sends every charge, or every email, to the same partition — a hot key under load
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html).
A second call with the same key returns the first call's stored result without running the action
again; a call while the first is still in progress raises `IdempotencyAlreadyInProgressError` (the
message is retried later); an action that raises leaves no record, so a retry runs it again. The
Lambda context of the invocation (`commerce.observability.lambda_context`) tells Powertools how
long "in progress" lasts.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from commerce.aws import dynamodb
from commerce.observability import lambda_context

DEFAULT_EXPIRY_SECONDS = 7 * 24 * 3600
RECORD_SK = "IDEMPOTENCY"


def record_key(idempotency_key: str) -> dict[str, dict[str, str]]:
    """The table key of the record Powertools names `idempotency_key` (`<name>#<hash>`)."""
    return {"pk": {"S": f"IDEMPOTENCY#{idempotency_key}"}, "sk": {"S": RECORD_SK}}


@cache
def _spread_layer_class() -> Any:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    class SpreadPersistenceLayer(DynamoDBPersistenceLayer):
        """Powertools' DynamoDB layer with the whole idempotency key in the partition key."""

        def _get_key(self, idempotency_key: str) -> dict[str, Any]:
            return record_key(idempotency_key)

    return SpreadPersistenceLayer


def _persistence_layer(table_name: str) -> Any:
    return _spread_layer_class()(
        table_name=table_name,
        key_attr="pk",
        sort_key_attr="sk",
        expiry_attr="expiresAt",
        boto3_client=dynamodb(),
    )


def run_once(
    name: str,
    key: str,
    action: Callable[[], dict[str, Any]],
    *,
    table_name: str,
    expires_after_seconds: int = DEFAULT_EXPIRY_SECONDS,
) -> dict[str, Any]:
    """`action()` once per (`name`, `key`); its JSON-serializable result is stored and replayed."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

    persistence = _persistence_layer(table_name)
    config = IdempotencyConfig(
        event_key_jmespath="key",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=expires_after_seconds,
    )
    context = lambda_context()
    if context is not None:
        config.register_lambda_context(context)

    @idempotent_function(
        data_keyword_argument="request", persistence_store=persistence, config=config, key_prefix=name
    )
    def _once(request: dict[str, str]) -> dict[str, Any]:
        return action()

    result: dict[str, Any] = _once(request={"key": key})
    return result
