"""EventBridge adapter: puts entries on the bus and reports which ones were not accepted."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from commerce.aws import events
from commerce.observability import logger
from commerce.outbox import PendingEvent

if TYPE_CHECKING:
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef


@dataclass(frozen=True)
class EventBridgePublisher:
    bus_name: str

    @classmethod
    def from_env(cls) -> EventBridgePublisher:
        return cls(bus_name=os.environ["EVENT_BUS_NAME"])

    def prime(self) -> None:
        """Create the EventBridge client before a SnapStart snapshot (commerce.snapstart)."""
        events()

    def publish(self, pending: Sequence[PendingEvent]) -> list[int]:
        """PutEvents for up to 10 events; the indexes EventBridge rejected (FailedEntryCount)."""
        entries: list[PutEventsRequestEntryTypeDef] = [
            {
                "EventBusName": self.bus_name,
                "Source": e.source,
                "DetailType": e.detail_type,
                "Detail": e.detail,
            }
            for e in pending
        ]
        response: Any = events().put_events(Entries=entries)
        if not response.get("FailedEntryCount"):
            return []
        answers = response.get("Entries", [])
        rejected = [index for index, entry in enumerate(answers) if entry.get("ErrorCode")]
        if len(answers) != len(entries):
            # A malformed answer cannot tell us what got through: retry all of them.
            rejected = list(range(len(entries)))
        for index in rejected:
            code = str(answers[index].get("ErrorCode", "")) if index < len(answers) else ""
            logger.warning(
                "EventBridge rejected an entry",
                extra={"detail_type": pending[index].detail_type, "error_code": code},
            )
        return rejected
