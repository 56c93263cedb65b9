"""SSM parameters and Secrets Manager secrets, read with the function's own clients and cached.

Powertools Parameters would do this, and did until the cold-start benchmark showed its price: the
package imports boto3 (and with it s3transfer and `multiprocessing`) plus all four of its providers
the moment one is used — about 110 ms of a 600 ms floor here, enough on its own to put every HTTP
function that reads a secret over the 1.3x budget (docs/performance.md §1). We use two of its
calls — a value by name, cached for `max_age` seconds, optionally parsed as JSON, with a forced
re-read — and those keep their meaning here, on the botocore clients from commerce.aws.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from commerce.aws import secretsmanager, ssm

# (source, name, as_json) -> (monotonic expiry, value)
_cache: dict[tuple[str, str, bool], tuple[float, Any]] = {}


def ssm_parameter(name: str, *, max_age: float, as_json: bool = False, force: bool = False) -> Any:
    """The value of the SSM parameter `name` (a String), re-read at most every `max_age` seconds."""
    return _cached(
        ("ssm", name, as_json),
        max_age,
        force,
        as_json,
        lambda: ssm().get_parameter(Name=name)["Parameter"]["Value"],
    )


def secret(secret_id: str, *, max_age: float, as_json: bool = False, force: bool = False) -> Any:
    """The secret's string (or bytes, for a binary secret), re-read at most every `max_age` seconds."""

    def fetch() -> Any:
        response = secretsmanager().get_secret_value(SecretId=secret_id)
        if "SecretString" in response:
            return response["SecretString"]
        return bytes(response["SecretBinary"])

    return _cached(("secretsmanager", secret_id, as_json), max_age, force, as_json, fetch)


def clear() -> None:
    """Forget every cached value (tests that swap the AWS backend; a new process starts empty)."""
    _cache.clear()


def _cached(
    key: tuple[str, str, bool], max_age: float, force: bool, as_json: bool, fetch: Callable[[], Any]
) -> Any:
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and not force and now < hit[0]:
        return hit[1]
    value = fetch()
    if as_json:
        value = json.loads(value)
    _cache[key] = (now + max_age, value)
    return value
