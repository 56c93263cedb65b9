"""What the order saga's consumers share: apply one guarded transition for one inbound event.

A duplicate, late or out-of-order trigger is a logged no-op (the transition API writes nothing
when the status is already there or no longer allows the move), never an error and never a
regression of state.
"""

from __future__ import annotations

from typing import Any

from commerce.consumer import Delivery
from commerce.observability import logger
from orders.transitions import TransitionOutcome, TransitionResult, transition


def advance(
    delivery: Delivery,
    to_status: str,
    *,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    allowed_from: frozenset[str] | None = None,
) -> TransitionResult:
    order_id: str = delivery.data.orderId
    result = transition(
        order_id,
        to_status,
        trigger_event_id=delivery.event_id,
        correlation_id=delivery.correlation_id,
        reason=reason,
        details=details,
        allowed_from=allowed_from,
    )
    log = logger.info if result.outcome is TransitionOutcome.APPLIED else logger.warning
    log(
        "order transition" if result.applied else "order transition skipped",
        extra={
            "order_id": order_id,
            "to_status": to_status,
            "outcome": result.outcome.value,
            "previous_status": result.previous_status,
            "trigger": delivery.name,
        },
    )
    return result
