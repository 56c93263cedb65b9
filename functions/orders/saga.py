"""What the order saga's consumers share: one inbound event → one guarded transition
(`Orders.transition`), logged, with its business metric.

A duplicate, late or out-of-order trigger is a logged no-op (the transition API writes nothing
when the status is already there or no longer allows the move), never an error and never a
regression of state.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from commerce.consumer import Delivery
from commerce.observability import logger, metrics
from orders import domain
from orders.service import TransitionOutcome, TransitionResult
from orders.wiring import orders

#: Business metrics (EMF, namespace Commerce): one count per order that reaches the status.
OUTCOME_METRICS = {
    domain.CONFIRMED: "OrdersConfirmed",
    domain.REJECTED: "OrdersRejected",
    domain.CANCELLED: "OrdersCancelled",
    domain.SHIPPED: "OrdersShipped",
}


def advance(
    delivery: Delivery,
    to_status: str,
    *,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    allowed_from: frozenset[str] | None = None,
) -> TransitionResult:
    order_id: str = delivery.data.orderId
    result = orders().transition(
        order_id,
        to_status,
        trigger_event_id=delivery.event_id,
        correlation_id=delivery.correlation_id,
        reason=reason,
        details=details,
        allowed_from=allowed_from,
    )
    if result.outcome is TransitionOutcome.APPLIED and to_status in OUTCOME_METRICS:
        metrics.add_metric(name=OUTCOME_METRICS[to_status], unit=MetricUnit.Count, value=1)
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
