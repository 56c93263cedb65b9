"""OrderConfirmed / OrderRejected / OrderCancelled / OrderShipped → one email to the customer."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.consumer import Delivery, consume
from commerce.events import OrderCancelled, OrderConfirmed, OrderRejected, OrderShipped
from commerce.observability import logger, metrics, tracer
from notifications.domain import format_money, notify_order, order_email
from notifications.mailer import SesMailer
from notifications.store import DynamoContactStore


def handler_for(context: Any) -> Any:
    def handle(delivery: Delivery) -> None:
        order = delivery.data
        detail = ""
        if isinstance(order, OrderShipped) and order.carrier:
            detail = f"Carrier: {order.carrier}, tracking number: {order.trackingNumber}."
        email = order_email(
            delivery.name, order.orderId, format_money(order.total.amount, order.total.currency), detail
        )
        outcome = notify_order(
            DynamoContactStore(), SesMailer(context), order.userId, email, event_id=delivery.event_id
        )
        logger.info(
            "order email", extra={"order_id": order.orderId, "user_id": order.userId, "outcome": outcome}
        )

    return handle


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consume(
        event,
        context,
        handler_for(context),
        accepts={
            "OrderConfirmed": OrderConfirmed,
            "OrderRejected": OrderRejected,
            "OrderCancelled": OrderCancelled,
            "OrderShipped": OrderShipped,
        },
    )
