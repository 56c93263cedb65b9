"""OrderCancelled / PaymentFailed → give the order's reserved stock back exactly once → StockReleased."""

from __future__ import annotations

from commerce.consumer import Delivery, consumer
from commerce.events import OrderCancelled, PaymentFailed
from commerce.observability import logger
from inventory.wiring import inventory


def handle(delivery: Delivery) -> None:
    order_id: str = delivery.data.orderId
    outcome = inventory().release(order_id, correlation_id=delivery.correlation_id)
    logger.info("release", extra={"order_id": order_id, "outcome": outcome, "trigger": delivery.name})


lambda_handler = consumer(handle, accepts={"OrderCancelled": OrderCancelled, "PaymentFailed": PaymentFailed})
