"""Guarded order status transitions — the API the order saga's consumers call.

    from orders.transitions import transition
    result = transition(
        order_id, CONFIRMED,
        trigger_event_id=inbound.metadata().eventId,   # PaymentSucceeded's eventId
        correlation_id=inbound.metadata().correlationId,
    )
    if result.outcome is Outcome.NOT_ALLOWED: ...      # e.g. log and ack (a late event)

What it does, in this order:
1. Reads the order (one strongly consistent GetItem) — unless the caller passes `current`.
2. Asks `orders.domain.decide` whether `to_status` is allowed from the current status
   (`domain.ALLOWED_FROM`, or the caller's narrower `allowed_from`, e.g. `{PENDING}` for
   PaymentFailed). ALREADY (same status) and NOT_ALLOWED return at once, writing nothing.
3. Otherwise ONE TransactWriteItems: the conditional update (`status` and `version` unchanged
   since the read; version + 1) and the outbox entry of the matching event
   (OrderConfirmed / OrderRejected / OrderCancelled / OrderShipped, data per `commerce.events`).
   If the order changed in between it re-reads and decides again (up to 3 times).

It never raises for a duplicate or late trigger: the outbox event id is derived from the trigger
(uuid5 of `trigger_event_id` + order + target status), so a redelivered trigger can neither apply
twice nor publish twice. Without a trigger (an HTTP cancel) the event id is random.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel

from commerce.events import (
    Money,
    OrderCancelled,
    OrderConfirmed,
    OrderLine,
    OrderRejected,
    OrderShipped,
)
from orders import domain
from orders.store import EventAlreadyRecorded, OrdersStore, StoredOrder, TransitionConflict

EVENT_FOR_STATUS: dict[str, str] = {
    domain.CONFIRMED: "OrderConfirmed",
    domain.REJECTED: "OrderRejected",
    domain.CANCELLED: "OrderCancelled",
    domain.SHIPPED: "OrderShipped",
}
EVENT_ID_NAMESPACE = uuid.UUID("6f1d3c52-8a0e-4f57-9d1b-2c4e6a8b0d13")
ATTEMPTS = 3


class TransitionOutcome(Enum):
    APPLIED = "applied"  # the status changed now and the event is in the outbox
    ALREADY = "already"  # the order already had that status (duplicate trigger): nothing written
    NOT_ALLOWED = "not_allowed"  # the current status does not allow it (late trigger): nothing written
    NOT_FOUND = "not_found"  # no such order: nothing written


@dataclass(frozen=True)
class TransitionResult:
    outcome: TransitionOutcome
    order: dict[str, Any] | None  # the order after the call (None when not found)
    previous_status: str | None = None

    @property
    def applied(self) -> bool:
        return self.outcome is TransitionOutcome.APPLIED


def event_id_for(order_id: str, to_status: str, trigger_event_id: str | None) -> str:
    if trigger_event_id is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{order_id}|{to_status}|{trigger_event_id}"))


def _event_data(
    order: dict[str, Any], to_status: str, reason: str | None, details: dict[str, Any]
) -> BaseModel:
    common: dict[str, Any] = {
        "orderId": order["orderId"],
        "userId": order["userId"],
        "status": to_status,
        "total": Money(**order["total"]),
        "reason": reason,
    }
    if to_status == domain.CONFIRMED:
        return OrderConfirmed(**common)
    if to_status == domain.REJECTED:
        return OrderRejected(**common)
    if to_status == domain.CANCELLED:
        items = [
            OrderLine(productId=i["productId"], quantity=i["quantity"], unitPrice=Money(**i["unitPrice"]))
            for i in order["items"]
        ]
        return OrderCancelled(**common, items=items)
    if to_status == domain.SHIPPED:
        return OrderShipped(
            **common, carrier=details.get("carrier"), trackingNumber=details.get("trackingNumber")
        )
    raise ValueError(f"no event for status {to_status}")


def transition(
    order_id: str,
    to_status: str,
    *,
    trigger_event_id: str | None,
    correlation_id: str = "",
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    allowed_from: frozenset[str] | None = None,
    current: StoredOrder | None = None,
    store: OrdersStore | None = None,
) -> TransitionResult:
    """Move order `order_id` to `to_status` (see the module docstring). `details` are stored on
    the order and copied into the event where it has fields for them (carrier, trackingNumber)."""
    if to_status not in EVENT_FOR_STATUS:
        raise ValueError(f"cannot transition to {to_status}")
    store = store or OrdersStore()
    details = dict(details or {})
    event_id = event_id_for(order_id, to_status, trigger_event_id)
    for _ in range(ATTEMPTS):
        stored = current or store.get(order_id)
        current = None
        if stored is None:
            return TransitionResult(TransitionOutcome.NOT_FOUND, None)
        status = stored.order["status"]
        decision = domain.decide(status, to_status, allowed_from)
        if decision is domain.Outcome.ALREADY:
            return TransitionResult(TransitionOutcome.ALREADY, stored.order, status)
        if decision is domain.Outcome.NOT_ALLOWED:
            return TransitionResult(TransitionOutcome.NOT_ALLOWED, stored.order, status)
        updated_at = domain.now_iso()
        after = {**stored.order, "status": to_status, "updatedAt": updated_at}
        attributes = {**details, **({"statusReason": reason} if reason else {})}
        try:
            result = store.apply_transition(
                stored,
                to_status,
                updated_at=updated_at,
                event_name=EVENT_FOR_STATUS[to_status],
                event_data=_event_data(after, to_status, reason, details),
                event_id=event_id,
                correlation_id=correlation_id,
                attributes=attributes,
            )
        except TransitionConflict:
            continue
        except EventAlreadyRecorded:
            # This trigger was applied before (and the order has moved on since): nothing to do.
            return TransitionResult(TransitionOutcome.ALREADY, stored.order, status)
        return TransitionResult(TransitionOutcome.APPLIED, result.order, status)
    fresh = store.get(order_id)
    return TransitionResult(
        TransitionOutcome.NOT_ALLOWED,
        fresh.order if fresh else None,
        fresh.order["status"] if fresh else None,
    )
