"""StockReservationFailed → the order is REJECTED (OrderRejected through the outbox)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.consumer import Delivery, consume
from commerce.events import StockReservationFailed
from commerce.observability import logger, metrics, tracer
from orders import domain
from orders.saga import advance


def handle(delivery: Delivery) -> None:
    advance(delivery, domain.REJECTED, reason="out_of_stock")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consume(event, context, handle, accepts={"StockReservationFailed": StockReservationFailed})
