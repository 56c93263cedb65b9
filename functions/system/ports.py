"""What the system use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from commerce.outbox import PendingEvent


class EventPublisher(Protocol):
    def publish(self, events: Sequence[PendingEvent]) -> list[int]:
        """Put up to 10 events on the bus; the indexes of those it did NOT accept."""
        ...


class ApiDocumentSource(Protocol):
    def read(self) -> dict[str, Any]:
        """The merged OpenAPI document of every API function (what `make openapi` writes)."""
        ...
