"""POST /payments/webhook — Stripe's confirmations, verified by signature and handled once.

A missing or bad `Stripe-Signature` (or one older than 5 minutes) → 400 problem and nothing changes.
Each Stripe event id is handled once; the state changes are the same guarded moves the consumers
make, with the same event ids, so a webhook confirming what a consumer already recorded is a no-op.
"""

from __future__ import annotations

from typing import Any

from commerce.api import http_handler, make_resolver
from commerce.errors import MalformedRequest
from commerce.observability import logger, tracer
from payments.domain import ProviderEvent
from payments.stripe_gateway import verify_webhook
from payments.wiring import payments

app = make_resolver(enable_validation=False, raw_body=True)


class BadSignature(MalformedRequest):
    def __init__(self) -> None:
        super().__init__("The Stripe-Signature header is missing or does not match the payload.")


@app.post("/payments/webhook")
@tracer.capture_method
def stripe_webhook() -> dict[str, Any]:
    import stripe

    try:
        event = verify_webhook(
            app.current_event.body or "", app.current_event.headers.get("stripe-signature")
        )
    except (stripe.SignatureVerificationError, ValueError) as exc:
        logger.warning("rejected a webhook", extra={"error_type": type(exc).__name__})
        raise BadSignature() from exc

    obj = (event.get("data") or {}).get("object") or {}
    metadata = obj.get("metadata") or {}
    event_type = str(event.get("type", ""))
    payment_id = obj.get("payment_intent") if event_type == "charge.refunded" else obj.get("id")
    provider_event = ProviderEvent(
        event_id=str(event.get("id", "")),
        type=event_type,
        order_id=str(metadata.get("orderId") or ""),
        payment_id=str(payment_id),
        reason=str((obj.get("last_payment_error") or {}).get("code") or "card_declined"),
    )
    correlation = str(metadata.get("correlationId") or provider_event.event_id)
    logger.set_correlation_id(correlation)
    outcome = payments().on_provider_event(provider_event, correlation_id=correlation)
    logger.info(
        "duplicate webhook" if outcome == "duplicate" else "webhook handled",
        extra={
            "stripe_event_id": provider_event.event_id,
            "type": event_type,
            "order_id": provider_event.order_id,
            "outcome": outcome,
        },
    )
    return {"received": True}


lambda_handler = http_handler(app)
