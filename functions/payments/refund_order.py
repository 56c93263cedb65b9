"""OrderCancelled → refund a captured payment (PaymentRefunded), or make sure none is ever taken."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.consumer import Delivery, consume
from commerce.events import OrderCancelled
from commerce.observability import logger, metrics, tracer
from payments.domain import cancel
from payments.store import DynamoPaymentStore
from payments.stripe_gateway import StripeGateway


def handle(delivery: Delivery) -> None:
    cancelled: OrderCancelled = delivery.data
    outcome = cancel(
        DynamoPaymentStore(), StripeGateway(), cancelled.orderId, correlation_id=delivery.correlation_id
    )
    logger.info("order cancelled", extra={"order_id": cancelled.orderId, "outcome": outcome})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consume(event, context, handle, accepts={"OrderCancelled": OrderCancelled})
