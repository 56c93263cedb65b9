"""StockReserved → charge the order total through Stripe once → PaymentSucceeded / PaymentFailed."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from commerce.consumer import Delivery, consumer
from commerce.events import StockReserved
from commerce.observability import logger, metrics
from payments.wiring import payments


def handle(delivery: Delivery) -> None:
    reserved: StockReserved = delivery.data
    outcome = payments().charge(
        reserved.orderId, correlation_id=delivery.correlation_id, trigger_event_id=delivery.event_id
    )
    logger.info("charge", extra={"order_id": reserved.orderId, "outcome": outcome})
    if outcome == "declined":  # counted once: a redelivery reports "declined, already recorded"
        metrics.add_metric(name="PaymentsFailed", unit=MetricUnit.Count, value=1)
    elif outcome == "paid":
        metrics.add_metric(name="PaymentsSucceeded", unit=MetricUnit.Count, value=1)


lambda_handler = consumer(handle, accepts={"StockReserved": StockReserved})
