"""AWS SDK clients, created lazily and once per process (never at import time).

Clients come from botocore, the SDK's low-level layer, without boto3 on top: importing boto3 also
imports s3transfer and, through it, `multiprocessing` (about 100 ms of every cold start here, see
docs/performance.md), and its session adds nothing to a low-level client. Functions that use a
Powertools utility built on boto3 (Idempotency) still load it; the others never do.

Timeouts and bounded retries are set explicitly: a Lambda should fail fast rather than burn its
whole timeout on one slow call. `AWS_ENDPOINT_URL` (read by botocore itself) points every client at
the local stand-in when the local stack runs the function.
"""

from __future__ import annotations

from functools import cache
from typing import Any

_CLIENT_CONFIG: dict[str, Any] = {
    "connect_timeout": 2,
    "read_timeout": 5,
    "retries": {"mode": "standard", "max_attempts": 3},
    "tcp_keepalive": True,
}


@cache
def client(service_name: str) -> Any:
    """Return the process-wide client for `service_name`."""
    from botocore.config import Config

    return _session().create_client(service_name, config=Config(**_CLIENT_CONFIG))


@cache
def _session() -> Any:
    """One botocore session per process: credentials, region and loaded models are shared."""
    from botocore.session import get_session

    return get_session()


def clear() -> None:
    """Forget every client and the session (tests that switch AWS mocks call this)."""
    client.cache_clear()
    _session.cache_clear()
