"""POST /payments/webhook — Stripe's confirmations, verified by signature and handled once.

A missing or bad `Stripe-Signature` (or one older than 5 minutes) → 400 problem and nothing changes.
Each Stripe event id is handled once; the state changes are the same guarded moves the consumers
make, with the same event ids, so a webhook confirming what a consumer already recorded is a no-op.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.api import make_resolver
from commerce.observability import logger, metrics, tracer
from commerce.problems import BadRequest
from payments.domain import provider_confirmed, provider_declined, provider_refunded
from payments.store import DynamoPaymentStore
from payments.stripe_gateway import verify_webhook

app = make_resolver(enable_validation=False)


@app.post("/payments/webhook")
@tracer.capture_method
def stripe_webhook() -> dict[str, Any]:
    import stripe

    headers = app.current_event.headers
    signature = headers.get("Stripe-Signature") or headers.get("stripe-signature")
    try:
        event = verify_webhook(app.current_event.body or "", signature)
    except (stripe.SignatureVerificationError, ValueError) as exc:
        logger.warning("rejected a webhook", extra={"error_type": type(exc).__name__})
        raise BadRequest("The Stripe-Signature header is missing or does not match the payload.") from exc

    store = DynamoPaymentStore()
    stripe_event_id, event_type = str(event.get("id", "")), str(event.get("type", ""))
    if store.seen_stripe_event(stripe_event_id):
        logger.info("duplicate webhook", extra={"stripe_event_id": stripe_event_id, "type": event_type})
        return {"received": True}

    obj = (event.get("data") or {}).get("object") or {}
    metadata = obj.get("metadata") or {}
    order_id = str(metadata.get("orderId") or "")
    correlation = str(metadata.get("correlationId") or stripe_event_id)
    logger.set_correlation_id(correlation)
    outcome = "ignored"
    if order_id and event_type == "payment_intent.succeeded":
        outcome = provider_confirmed(store, order_id, str(obj.get("id")), correlation_id=correlation)
    elif order_id and event_type == "payment_intent.payment_failed":
        error = obj.get("last_payment_error") or {}
        reason = str(error.get("code") or "card_declined")
        outcome = provider_declined(store, order_id, reason, correlation_id=correlation)
    elif order_id and event_type == "charge.refunded":
        outcome = provider_refunded(
            store, order_id, str(obj.get("payment_intent")), correlation_id=correlation
        )
    store.remember_stripe_event(stripe_event_id, event_type)
    logger.info(
        "webhook handled",
        extra={
            "stripe_event_id": stripe_event_id,
            "type": event_type,
            "order_id": order_id,
            "outcome": outcome,
        },
    )
    return {"received": True}


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
