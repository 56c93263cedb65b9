"""StockReplenished (from the warehouse) → stock grows by the quantity, once per event.

An event that does not fit its schema, or names a product the catalog does not have, goes to the
dead-letter queue with a log line saying why; the rest of the batch is processed.
"""

from __future__ import annotations

from commerce.consumer import Delivery, InvalidEvent, consumer
from commerce.events import StockReplenished
from commerce.observability import logger
from inventory.domain import UnknownProduct
from inventory.wiring import inventory


def handle(delivery: Delivery) -> None:
    event: StockReplenished = delivery.data
    try:
        outcome = inventory().replenish(event.productId, event.quantity, event_id=delivery.event_id)
    except UnknownProduct as exc:
        raise InvalidEvent(f"StockReplenished for unknown product {event.productId!r}") from exc
    logger.info(
        "replenishment", extra={"product_id": event.productId, "quantity": event.quantity, "outcome": outcome}
    )


lambda_handler = consumer(handle, accepts={"StockReplenished": StockReplenished})
