"""OrderPlaced → reserve every line in one transaction → StockReserved or StockReservationFailed."""

from __future__ import annotations

from commerce.consumer import Delivery, consumer
from commerce.events import OrderPlaced
from commerce.observability import logger
from inventory.wiring import inventory


def handle(delivery: Delivery) -> None:
    order: OrderPlaced = delivery.data
    outcome = inventory().reserve(
        order.orderId,
        [(line.productId, line.quantity) for line in order.items],
        correlation_id=delivery.correlation_id,
    )
    logger.info("reservation", extra={"order_id": order.orderId, "outcome": outcome})


lambda_handler = consumer(handle, accepts={"OrderPlaced": OrderPlaced})
