"""OrderPlaced → reserve every line in one transaction → StockReserved or StockReservationFailed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.consumer import Delivery, consume
from commerce.events import OrderPlaced
from commerce.observability import logger, metrics, tracer
from inventory.domain import reserve
from inventory.store import CatalogInventoryStore


def handle(delivery: Delivery) -> None:
    order: OrderPlaced = delivery.data
    outcome = reserve(
        CatalogInventoryStore(),
        order.orderId,
        [(line.productId, line.quantity) for line in order.items],
        correlation_id=delivery.correlation_id,
    )
    logger.info("reservation", extra={"order_id": order.orderId, "outcome": outcome})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consume(event, context, handle, accepts={"OrderPlaced": OrderPlaced})
