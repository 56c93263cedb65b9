"""POST /payments/webhook — Stripe's confirmations, verified by signature and handled once.

A missing or bad `Stripe-Signature`, one whose timestamp is more than 5 minutes away (past or
future), or a signed body that is not a Stripe event → 400 problem and nothing changes
(`payments.stripe_gateway.verify_webhook`). Each Stripe event id is handled once; the state changes
are the same guarded moves the consumers make, with the same event ids, so a webhook confirming
what a consumer already recorded is a no-op. The body reaches this function unparsed (the resolver's
`raw_body`): it is parsed only once its signature is verified.
"""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.
from typing import Any

from commerce.api import http_handler, make_resolver
from commerce.errors import MalformedRequest
from commerce.observability import logger, tracer
from commerce.openapi import problem_responses
from payments.stripe_gateway import verify_webhook
from payments.wiring import payments

app = make_resolver(enable_validation=False, raw_body=True)


@app.post(
    "/payments/webhook",
    summary="Stripe's webhook",
    tags=["payments"],
    responses={
        200: {"description": 'Handled (or a duplicate of one already handled): `{"received": true}`'},
        **problem_responses(
            400,
            descriptions={
                400: (
                    "A missing or bad Stripe-Signature, one more than 5 minutes away, or a signed"
                    " body that is not a Stripe event: nothing changes"
                )
            },
        ),
    },
)
@tracer.capture_method
def stripe_webhook() -> dict[str, Any]:
    try:
        event = verify_webhook(
            app.current_event.body or "", app.current_event.headers.get("stripe-signature")
        )
    except MalformedRequest as refused:
        logger.warning("rejected a webhook", extra={"error_type": type(refused).__name__})
        raise
    correlation = event.correlation_id or event.event_id
    logger.set_correlation_id(correlation)
    outcome = payments().on_provider_event(event, correlation_id=correlation)
    logger.info(
        "duplicate webhook" if outcome == "duplicate" else "webhook handled",
        extra={
            "stripe_event_id": event.event_id,
            "type": event.type,
            "order_id": event.order_id,
            "outcome": outcome,
        },
    )
    return {"received": True}


lambda_handler = http_handler(app)
