"""StockReplenished (from the warehouse) → stock grows by the quantity, once per event.

An event that does not fit its schema, or names a product the catalog does not have, goes to the
dead-letter queue with a log line saying why; the rest of the batch is processed.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.consumer import Delivery, InvalidEvent, consume
from commerce.events import StockReplenished
from commerce.observability import logger, metrics, tracer
from inventory.domain import UnknownProduct, replenish
from inventory.store import CatalogInventoryStore


def handle(delivery: Delivery) -> None:
    event: StockReplenished = delivery.data
    try:
        outcome = replenish(
            CatalogInventoryStore(), event.productId, event.quantity, event_id=delivery.event_id
        )
    except UnknownProduct as exc:
        raise InvalidEvent(f"StockReplenished for unknown product {event.productId!r}") from exc
    logger.info(
        "replenishment", extra={"product_id": event.productId, "quantity": event.quantity, "outcome": outcome}
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consume(event, context, handle, accepts={"StockReplenished": StockReplenished})
