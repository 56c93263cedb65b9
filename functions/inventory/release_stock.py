"""OrderCancelled / PaymentFailed → give the order's reserved stock back exactly once → StockReleased."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.consumer import Delivery, consume
from commerce.events import OrderCancelled, PaymentFailed
from commerce.observability import logger, metrics, tracer
from inventory.domain import release
from inventory.store import CatalogInventoryStore


def handle(delivery: Delivery) -> None:
    order_id: str = delivery.data.orderId
    outcome = release(CatalogInventoryStore(), order_id, correlation_id=delivery.correlation_id)
    logger.info("release", extra={"order_id": order_id, "outcome": outcome, "trigger": delivery.name})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consume(
        event, context, handle, accepts={"OrderCancelled": OrderCancelled, "PaymentFailed": PaymentFailed}
    )
