"""OrderPlaced → remember what the order costs and how it is paid (the payments projection)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.consumer import Delivery, consume
from commerce.events import OrderPlaced
from commerce.observability import logger, metrics, tracer
from payments.domain import Payment, Status, record_order
from payments.store import DynamoPaymentStore


def handle(delivery: Delivery) -> None:
    order: OrderPlaced = delivery.data
    added = record_order(
        DynamoPaymentStore(),
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


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consume(event, context, handle, accepts={"OrderPlaced": OrderPlaced})
