"""OrderPlaced → remember what the order costs and how it is paid (the payments projection)."""

from __future__ import annotations

from commerce.consumer import Delivery, consumer
from commerce.events import OrderPlaced
from commerce.observability import logger
from payments.domain import Payment, Status
from payments.wiring import payments


def handle(delivery: Delivery) -> None:
    order: OrderPlaced = delivery.data
    added = payments().record_order(
        Payment(
            order_id=order.orderId,
            status=Status.PENDING,
            user_id=order.userId,
            amount=order.total.amount,
            currency=order.total.currency,
            payment_method_id=order.paymentMethodId,
        ),
    )
    logger.info("order recorded" if added else "order already known", extra={"order_id": order.orderId})


lambda_handler = consumer(handle, accepts={"OrderPlaced": OrderPlaced})
