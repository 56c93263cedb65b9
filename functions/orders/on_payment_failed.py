"""PaymentFailed → a PENDING order is CANCELLED (OrderCancelled; inventory releases its stock)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.consumer import Delivery, consume
from commerce.events import PaymentFailed
from commerce.observability import logger, metrics, tracer
from orders import domain
from orders.saga import advance


def handle(delivery: Delivery) -> None:
    failed: PaymentFailed = delivery.data
    advance(
        delivery,
        domain.CANCELLED,
        reason=f"payment_failed: {failed.reason}",
        allowed_from=frozenset({domain.PENDING}),
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consume(event, context, handle, accepts={"PaymentFailed": PaymentFailed})
