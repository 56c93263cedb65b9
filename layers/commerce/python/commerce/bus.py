"""EventBridge adapter: puts entries on the bus and reports which ones were not accepted."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from commerce.aws import client
from commerce.observability import logger
from commerce.outbox import PendingEvent


def put_events(events: Sequence[PendingEvent], *, bus_name: str | None = None) -> list[int]:
    """PutEvents for up to 10 events; returns the indexes EventBridge rejected (FailedEntryCount)."""
    name = bus_name or os.environ["EVENT_BUS_NAME"]
    entries: list[dict[str, Any]] = [
        {"EventBusName": name, "Source": e.source, "DetailType": e.detail_type, "Detail": e.detail}
        for e in events
    ]
    response = client("events").put_events(Entries=entries)
    if not response.get("FailedEntryCount"):
        return []
    rejected = [index for index, entry in enumerate(response.get("Entries", [])) if entry.get("ErrorCode")]
    if len(response.get("Entries", [])) != len(entries):
        # A malformed answer cannot tell us what got through: retry all of them.
        rejected = list(range(len(entries)))
    for index in rejected:
        logger.warning(
            "EventBridge rejected an entry",
            extra={"detail_type": events[index].detail_type, "error_code": _code(response, index)},
        )
    return rejected


def _code(response: dict[str, Any], index: int) -> str:
    entries = response.get("Entries", [])
    return str(entries[index].get("ErrorCode", "")) if index < len(entries) else ""
