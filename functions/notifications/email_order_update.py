"""OrderConfirmed / OrderRejected / OrderCancelled / OrderShipped → one email to the customer."""

from __future__ import annotations

from commerce.consumer import Delivery, InvalidEvent, consumer
from commerce.events import OrderCancelled, OrderConfirmed, OrderRejected, OrderShipped
from commerce.observability import logger
from notifications.domain import Undeliverable, format_money, order_email
from notifications.wiring import notifications


def handle(delivery: Delivery) -> None:
    order = delivery.data
    detail = ""
    if isinstance(order, OrderShipped) and order.carrier:
        detail = f"Carrier: {order.carrier}, tracking number: {order.trackingNumber}."
    email = order_email(
        delivery.name, order.orderId, format_money(order.total.amount, order.total.currency), detail
    )
    try:
        outcome = notifications().notify_order(order.userId, email, event_id=delivery.event_id)
    except Undeliverable as refused:
        raise InvalidEvent(refused.detail) from refused
    logger.info("order email", extra={"order_id": order.orderId, "user_id": order.userId, "outcome": outcome})


lambda_handler = consumer(
    handle,
    accepts={
        "OrderConfirmed": OrderConfirmed,
        "OrderRejected": OrderRejected,
        "OrderCancelled": OrderCancelled,
        "OrderShipped": OrderShipped,
    },
)
