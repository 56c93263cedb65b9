"""The one way Commerce tells the time: ISO 8601 UTC strings with milliseconds for what people read
(`createdAt`, `updatedAt`, `occurredAt`), whole epoch seconds for what DynamoDB compares (TTL
`expiresAt`, throttling windows)."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def iso_now(at: float | None = None) -> str:
    """`at` (epoch seconds; now if None) as `2026-11-25T12:00:00.000Z`."""
    moment = datetime.now(UTC) if at is None else datetime.fromtimestamp(at, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch_now() -> int:
    """Now, in whole seconds since the epoch."""
    return int(time.time())
