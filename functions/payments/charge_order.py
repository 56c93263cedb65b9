"""StockReserved → charge the order total through Stripe once → PaymentSucceeded / PaymentFailed."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.consumer import Delivery, consume
from commerce.events import StockReserved
from commerce.idempotency import run_once
from commerce.observability import logger, metrics, tracer
from payments.domain import Charged, Declined, Payment, charge
from payments.store import DynamoPaymentStore
from payments.stripe_gateway import StripeGateway


class OncePerEventGateway(StripeGateway):
    """Calls Stripe at most once per triggering event (Powertools Idempotency) on top of Stripe's key."""

    def __init__(self, event_id: str, context: Any) -> None:
        self.event_id = event_id
        self.context = context

    def charge(self, payment: Payment, correlation_id: str = "") -> Charged | Declined:
        def call() -> dict[str, Any]:
            outcome = StripeGateway.charge(self, payment, correlation_id)
            if isinstance(outcome, Charged):
                return {"paymentId": outcome.payment_id}
            return {"declined": outcome.reason}

        result = run_once(
            "charge",
            self.event_id,
            call,
            table_name=os.environ["TABLE_NAME"],
            lambda_context=self.context,
        )
        if "paymentId" in result:
            return Charged(payment_id=result["paymentId"])
        return Declined(reason=str(result.get("declined", "declined")))


def handler_for(context: Any) -> Any:
    def handle(delivery: Delivery) -> None:
        reserved: StockReserved = delivery.data
        outcome = charge(
            DynamoPaymentStore(),
            OncePerEventGateway(delivery.event_id, context),
            reserved.orderId,
            correlation_id=delivery.correlation_id,
        )
        logger.info("charge", extra={"order_id": reserved.orderId, "outcome": outcome})
        if outcome == "declined":  # counted once: a redelivery reports "declined, already recorded"
            metrics.add_metric(name="PaymentsFailed", unit=MetricUnit.Count, value=1)
        elif outcome == "paid":
            metrics.add_metric(name="PaymentsSucceeded", unit=MetricUnit.Count, value=1)

    return handle


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consume(event, context, handler_for(context), accepts={"StockReserved": StockReserved})
