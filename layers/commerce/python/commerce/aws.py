"""AWS SDK clients, created lazily and once per process (never at import time).

Timeouts and bounded retries are set explicitly: a Lambda should fail fast rather than burn its
whole timeout on one slow call. `AWS_ENDPOINT_URL` (read by boto3 itself) points every client at
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
    """Return the process-wide boto3 client for `service_name`."""
    import boto3  # deferred: functions that never call AWS do not pay for importing boto3
    from botocore.config import Config

    return boto3.client(service_name, config=Config(**_CLIENT_CONFIG))
