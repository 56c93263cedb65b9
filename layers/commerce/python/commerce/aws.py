"""AWS SDK clients, created lazily and once per process (never at import time).

Clients come from botocore, the SDK's low-level layer, without boto3 on top: importing boto3 also
imports s3transfer and, through it, `multiprocessing` (about 100 ms of every cold start here, see
docs/performance.md), and its session adds nothing to a low-level client. Functions that use a
Powertools utility built on boto3 (Idempotency) still load it; the others never do.

Timeouts and bounded retries are set explicitly: a Lambda should fail fast rather than burn its
whole timeout on one slow call. `AWS_ENDPOINT_URL` (read by botocore itself) points every client at
the local stand-in when the local stack runs the function.

Adapters call the typed accessors (`dynamodb()`, `sqs()`, ...): their types come from the
`mypy-boto3-*` stubs, imported only under TYPE_CHECKING, so type checking costs nothing at cold start.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient

_CLIENT_CONFIG: dict[str, Any] = {
    "connect_timeout": 2,
    "read_timeout": 5,
    "retries": {"mode": "standard", "max_attempts": 3},
    "tcp_keepalive": True,
}


_clients: dict[str, Any] = {}


def client(service_name: str) -> Any:
    """Return the process-wide client for `service_name`."""
    found = _clients.get(service_name)
    if found is None:
        from botocore.config import Config

        found = _clients[service_name] = session().create_client(
            service_name, config=Config(**_CLIENT_CONFIG)
        )
    return found


def created_clients() -> dict[str, Any]:
    """The clients this process has created so far, by service (SnapStart priming, tests)."""
    return dict(_clients)


@cache
def session() -> Any:
    """One botocore session per process: credentials, region and loaded models are shared."""
    from botocore.session import get_session

    return get_session()


def close_connections() -> None:
    """Close every client's pooled connections (after a SnapStart restore, where a socket opened
    before the snapshot is dead); each client opens new ones on its next request."""
    for found in _clients.values():
        found._endpoint.http_session.close()


def dynamodb() -> DynamoDBClient:
    return client("dynamodb")


def events() -> EventBridgeClient:
    return client("events")


def kms() -> KMSClient:
    return client("kms")


def secretsmanager() -> SecretsManagerClient:
    return client("secretsmanager")


def sesv2() -> SESV2Client:
    return client("sesv2")


def sqs() -> SQSClient:
    return client("sqs")


def ssm() -> SSMClient:
    return client("ssm")


def clear() -> None:
    """Forget every client and the session (tests that switch AWS mocks call this)."""
    _clients.clear()
    session.cache_clear()
