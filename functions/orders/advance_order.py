"""The saga's verdicts on an order, one consumer for all three (they share a queue and a function):

    StockReservationFailed → REJECTED  (OrderRejected)
    PaymentSucceeded       → CONFIRMED (OrderConfirmed)
    PaymentFailed          → CANCELLED (OrderCancelled; only from PENDING — inventory releases the stock)

Each is one guarded transition (orders.transitions): a duplicate, late or out-of-order event is a
logged no-op, never an error and never a regression. A payment for an order cancelled meanwhile
changes nothing here; the payments service refunds it when it sees the cancellation.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.consumer import Delivery, consume
from commerce.events import PaymentFailed, PaymentSucceeded, StockReservationFailed
from commerce.observability import logger, metrics, tracer
from orders import domain
from orders.saga import advance


def handle(delivery: Delivery) -> None:
    if isinstance(delivery.data, StockReservationFailed):
        advance(delivery, domain.REJECTED, reason="out_of_stock")
    elif isinstance(delivery.data, PaymentSucceeded):
        advance(delivery, domain.CONFIRMED)
    elif isinstance(delivery.data, PaymentFailed):
        advance(
            delivery,
            domain.CANCELLED,
            reason=f"payment_failed: {delivery.data.reason}",
            allowed_from=frozenset({domain.PENDING}),
        )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consume(
        event,
        context,
        handle,
        accepts={
            "StockReservationFailed": StockReservationFailed,
            "PaymentSucceeded": PaymentSucceeded,
            "PaymentFailed": PaymentFailed,
        },
    )
