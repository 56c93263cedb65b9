"""Run a side effect outside DynamoDB (a charge, an email) at most once per key.

A thin wrapper over Powertools Idempotency with its records in the service's own table
(`pk = IDEMPOTENCY#<name>`, `sk = <name>#<hash of key>`, TTL `expiresAt`). A second call with the
same key returns the first call's stored result without running the action again; a call while the
first is still in progress raises `IdempotencyAlreadyInProgressError` (the message is retried later);
an action that raises leaves no record, so a retry runs it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commerce.aws import client

DEFAULT_EXPIRY_SECONDS = 7 * 24 * 3600


def run_once(
    name: str,
    key: str,
    action: Callable[[], dict[str, Any]],
    *,
    table_name: str,
    expires_after_seconds: int = DEFAULT_EXPIRY_SECONDS,
    lambda_context: Any = None,
) -> dict[str, Any]:
    """`action()` once per (`name`, `key`); its JSON-serializable result is stored and replayed."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    persistence = DynamoDBPersistenceLayer(
        table_name=table_name,
        key_attr="pk",
        sort_key_attr="sk",
        static_pk_value=f"IDEMPOTENCY#{name}",
        expiry_attr="expiresAt",
        boto3_client=client("dynamodb"),
    )
    config = IdempotencyConfig(
        event_key_jmespath="key",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=expires_after_seconds,
    )
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)

    @idempotent_function(
        data_keyword_argument="request", persistence_store=persistence, config=config, key_prefix=name
    )
    def _once(request: dict[str, str]) -> dict[str, Any]:
        return action()

    result: dict[str, Any] = _once(request={"key": key})
    return result
