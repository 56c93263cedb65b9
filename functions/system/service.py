"""System use cases: report liveness, document the whole API, and relay outbox entries to the bus
without losing one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from commerce.observability import logger
from commerce.outbox import PendingEvent
from system.ports import ApiDocumentSource, EventPublisher

MAX_ENTRIES_PER_PUT = 10  # EventBridge PutEvents limit


@dataclass(frozen=True)
class Health:
    version: str

    def check(self) -> dict[str, str]:
        return {"status": "ok", "version": self.version}


@dataclass(frozen=True)
class ApiDocumentation:
    source: ApiDocumentSource

    def document(self) -> dict[str, Any]:
        """The merged document of the whole API, its one server relative to the page that shows it:
        "Try it out" then calls the API where the page was served (under the stage path,
        `/dev/swagger` → `/dev/health`; at a custom domain's root; locally at `/`)."""
        return {**self.source.read(), "servers": [{"url": "."}]}


@dataclass(frozen=True)
class OutboxRelay:
    publisher: EventPublisher

    def relay(self, events: Sequence[PendingEvent]) -> list[str]:
        """Publish every entry; the sequence numbers of those that must be retried.

        A chunk whose publish call raises counts as wholly failed: the records are reported, never
        dropped, and consumers deduplicate the ones that did get through on their `eventId`."""
        failed: list[str] = []
        for start in range(0, len(events), MAX_ENTRIES_PER_PUT):
            chunk = events[start : start + MAX_ENTRIES_PER_PUT]
            try:
                rejected = self.publisher.publish(chunk)
            except Exception:  # noqa: BLE001 - any failure means "retry these records"
                logger.exception("publishing an outbox chunk failed", extra={"entries": len(chunk)})
                rejected = list(range(len(chunk)))
            failed.extend(chunk[index].sequence_number for index in rejected)
        return failed
