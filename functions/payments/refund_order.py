"""OrderCancelled → refund a captured payment (PaymentRefunded), or make sure none is ever taken."""

from __future__ import annotations

from commerce.consumer import Delivery, consumer
from commerce.events import OrderCancelled
from commerce.observability import logger
from payments.wiring import payments


def handle(delivery: Delivery) -> None:
    cancelled: OrderCancelled = delivery.data
    outcome = payments().cancel(cancelled.orderId, correlation_id=delivery.correlation_id)
    logger.info("order cancelled", extra={"order_id": cancelled.orderId, "outcome": outcome})


lambda_handler = consumer(handle, accepts={"OrderCancelled": OrderCancelled})
