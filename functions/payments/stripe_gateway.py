"""Stripe adapter: PaymentIntents created and confirmed server-side, refunds, webhook verification.

The API key and webhook secret come from the Secrets Manager secret named by `STRIPE_SECRET_ARN`
(JSON `{"apiKey": ..., "webhookSecret": ...}`), read through commerce.parameters and cached.
`STRIPE_API_BASE` (set only locally and in tests) points the SDK at the Stripe stub. Every request
has a timeout and at most two network retries; Stripe's own idempotency keys (`charge-<orderId>`,
`refund-<orderId>`) make a retried or repeated request return the first answer instead of charging
again, and a charge runs at most once per triggering event (`once_per`, Powertools Idempotency on
the payments table: `commerce.idempotency`). Card declines are a business outcome; anything
transient raises so the message is retried.

Stripe limits the request rate per account and per endpoint (https://docs.stripe.com/rate-limits).
Every execution environment paces its own calls to `STRIPE_REQUESTS_PER_SECOND` (the stack sizes it
so that all the concurrent environments together stay within the account's limit, with headroom:
cdk/services/payments.py); a 429 Stripe still answers is retried here with exponential backoff and
the same idempotency key, and if it persists the message is deferred (`ProviderRateLimited`:
commerce.consumer re-queues it without spending a receive), never sent to the dead-letter queue.

A key Stripe refuses (the placeholder a first deploy creates, or a revoked key) is not transient, but
it is fixable without losing orders: it is logged as an error that says what to do, counted
(`StripeAuthenticationFailed`, which alarms), the next call re-reads the secret instead of using the
cached key (so a corrected key is used by the very next retry), and the message is retried with its
backoff until it lands in the DLQ.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from aws_lambda_powertools.metrics import MetricUnit

from commerce.idempotency import run_once
from commerce.observability import logger, metrics, tracer
from commerce.parameters import secret
from commerce.request_body import BodyRefused, parse_json
from commerce.snapstart import load_after_restore
from payments.domain import (
    BadSignature,
    Charged,
    Declined,
    NotAProviderEvent,
    Payment,
    ProviderEvent,
    ProviderRateLimited,
)

T = TypeVar("T")

SECRET_MAX_AGE_SECONDS = 300
CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 10
MAX_NETWORK_RETRIES = 2


#: Currencies whose Stripe API unit is not the ISO 4217 minor unit our amounts are in, as
#: the decimals Stripe uses for them — https://docs.stripe.com/currencies (zero-decimal, special cases):
#: ISK is zero-decimal in ISO but sent with two decimals, always "00"; MGA has two ISO decimals but is
#: zero-decimal for Stripe. The three-decimal currencies take minor units whose last digit is 0.
STRIPE_DECIMALS = {"ISK": 2, "MGA": 0}
STRIPE_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


class UnchargeableAmount(ValueError):
    """The amount has no exact representation in Stripe's unit for its currency."""


def stripe_amount(amount: int, currency: str) -> int:
    """`amount` (ISO 4217 minor units of `currency`) in the unit Stripe's API expects for it."""
    from commerce.money import exponent

    iso = exponent(currency)
    stripe_decimals = STRIPE_DECIMALS.get(currency, iso)
    if stripe_decimals >= iso:
        converted = amount * 10 ** (stripe_decimals - iso)
    else:
        converted, rest = divmod(amount, 10 ** (iso - stripe_decimals))
        if rest:
            raise UnchargeableAmount(f"{amount} {currency} minor units is not a whole Stripe amount")
    if currency in STRIPE_THREE_DECIMAL and converted % 10:
        raise UnchargeableAmount(f"{currency} amounts must end in 0 for Stripe")
    return converted


AUTHENTICATION_FAILED_METRIC = "StripeAuthenticationFailed"
RATE_LIMITED_METRIC = "StripeRateLimited"
RATE_ENV = "STRIPE_REQUESTS_PER_SECOND"
RATE_LIMIT_ATTEMPTS = 4
RATE_LIMIT_BACKOFF_SECONDS = 0.5
RATE_LIMIT_BACKOFF_CAP_SECONDS = 4.0
_reread_secret = [False]  # set when Stripe refused the cached key


class Pace:
    """At most `rate` calls a second from this execution environment (an evenly spaced schedule:
    a call waits for its slot). Kept per thread: a Lambda environment runs one invocation at a time,
    and environments modelled as threads of one process each pace themselves, as on AWS."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ):
        self._clock = clock
        self._sleep = sleep
        self._local = threading.local()

    def wait(self, rate: float) -> float:
        """Wait for the next slot at `rate` per second (no limit when 0); the seconds waited."""
        if rate <= 0:
            return 0.0
        now = self._clock()
        slot = max(now, getattr(self._local, "next_slot", now))
        self._local.next_slot = slot + 1.0 / rate
        waited = slot - now
        if waited > 0:
            self._sleep(waited)
        return waited


PACE = Pace()


def _rate() -> float:
    try:
        return float(os.environ.get(RATE_ENV) or 0)
    except ValueError:
        return 0.0


def within_rate_limit(call: Callable[[], T], *, sleep: Callable[[float], None] = time.sleep) -> T:
    """`call()` paced to this environment's share of Stripe's rate; a 429 is retried with full-jitter
    exponential backoff (Stripe's advice) and, if it persists, raised as `ProviderRateLimited`."""
    import stripe

    for attempt in range(RATE_LIMIT_ATTEMPTS):
        PACE.wait(_rate())
        try:
            return call()
        except stripe.RateLimitError as exc:
            metrics.add_metric(name=RATE_LIMITED_METRIC, unit=MetricUnit.Count, value=1)
            reason = (getattr(exc, "headers", None) or {}).get("Stripe-Rate-Limited-Reason")
            logger.warning(
                "Stripe rate limited the request", extra={"attempt": attempt + 1, "reason": reason}
            )
            if attempt + 1 < RATE_LIMIT_ATTEMPTS:
                sleep(
                    random.uniform(
                        0, min(RATE_LIMIT_BACKOFF_CAP_SECONDS, RATE_LIMIT_BACKOFF_SECONDS * 2**attempt)
                    )
                )
    raise ProviderRateLimited()


def stripe_secret(*, force: bool = False) -> dict[str, str]:
    value = secret(os.environ["STRIPE_SECRET_ARN"], as_json=True, max_age=SECRET_MAX_AGE_SECONDS, force=force)
    if not isinstance(value, dict):
        raise RuntimeError("the Stripe secret is not a JSON object")
    return {str(k): str(v) for k, v in value.items()}


@load_after_restore
def _load_secret() -> None:
    """After a SnapStart restore, before the first call: the API key and webhook secret (never in
    the snapshot), so the webhook's first verification does not wait for Secrets Manager."""
    if os.environ.get("STRIPE_SECRET_ARN"):
        stripe_secret()


@cache
def _stripe_client(api_key: str, api_base: str | None) -> Any:
    import stripe

    # Stripe calls travel over `requests`: trace them as subsegments (the tracer patches only
    # botocore by default, see commerce.observability).
    tracer.patch(["requests"])

    kwargs: dict[str, Any] = {
        "http_client": stripe.RequestsClient(timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)),
        "max_network_retries": MAX_NETWORK_RETRIES,
    }
    if api_base:
        kwargs["base_addresses"] = {"api": api_base}
    return stripe.StripeClient(api_key, **kwargs)


def stripe_client() -> Any:
    force, _reread_secret[0] = _reread_secret[0], False
    return _stripe_client(stripe_secret(force=force)["apiKey"], os.environ.get("STRIPE_API_BASE") or None)


def _refused_key(exc: Exception) -> None:
    """Say loudly that Stripe refused our API key, and re-read the secret for the next attempt."""
    logger.error(
        "Stripe refused the API key: put the real key into the Stripe secret "
        "(docs/runbook.md#the-stripe-secret); the message will be retried",
        extra={"error": type(exc).__name__, "secret_arn": os.environ.get("STRIPE_SECRET_ARN")},
    )
    metrics.add_metric(name=AUTHENTICATION_FAILED_METRIC, unit=MetricUnit.Count, value=1)
    _reread_secret[0] = True


class StripeGateway:
    """Stripe behind the `PaymentGateway` port; `table_name` holds the once-per-event records."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @classmethod
    def from_env(cls) -> StripeGateway:
        return cls(table_name=os.environ["TABLE_NAME"])

    def prime(self) -> None:
        """Before a SnapStart snapshot (commerce.snapstart): Stripe's SDK and the Secrets Manager
        client that reads its key (the key itself is a secret, read after each restore: _load_secret)."""
        import stripe

        from commerce.aws import secretsmanager

        # The SDK imports its parts on first use; these are the ones a charge, a refund and a
        # webhook's verification use.
        for part in ("StripeClient", "RequestsClient", "Webhook", "WebhookSignature", "Event"):
            getattr(stripe, part)

        secretsmanager()

    def charge(self, payment: Payment, *, correlation_id: str, once_per: str) -> Charged | Declined:
        def call() -> dict[str, Any]:
            outcome = self._charge(payment, correlation_id)
            if isinstance(outcome, Charged):
                return {"paymentId": outcome.payment_id}
            return {"declined": outcome.reason}

        result = run_once("charge", once_per, call, table_name=self.table_name)
        if "paymentId" in result:
            return Charged(payment_id=result["paymentId"])
        return Declined(reason=str(result.get("declined", "declined")))

    def _charge(self, payment: Payment, correlation_id: str) -> Charged | Declined:
        import stripe

        try:
            amount = stripe_amount(payment.amount, payment.currency)
        except ValueError as exc:  # UnchargeableAmount, or a currency that is not ISO 4217's
            logger.warning(
                "amount cannot be charged", extra={"order_id": payment.order_id, "error": str(exc)}
            )
            return Declined(reason="amount_not_chargeable")
        try:
            intent = within_rate_limit(
                lambda: stripe_client().v1.payment_intents.create(
                    params={
                        "amount": amount,
                        "currency": payment.currency.lower(),
                        "payment_method": payment.payment_method_id,
                        "confirm": True,
                        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
                        "metadata": {"orderId": payment.order_id, "correlationId": correlation_id},
                    },
                    options={"idempotency_key": f"charge-{payment.order_id}"},
                )
            )
        except (stripe.AuthenticationError, stripe.PermissionError) as exc:
            _refused_key(exc)
            raise
        except stripe.CardError as exc:
            reason = exc.code or "card_declined"
            logger.info("card declined", extra={"code": exc.code, "decline_code": _decline_code(exc)})
            return Declined(reason=reason)
        except stripe.InvalidRequestError as exc:
            # A payment method that does not exist or cannot be used: no retry will change that.
            logger.warning("Stripe refused the charge request", extra={"code": exc.code, "param": exc.param})
            return Declined(reason=exc.code or "invalid_payment_method")
        if intent.status != "succeeded":
            # confirm=True with redirects disallowed: anything else is a failed confirmation.
            logger.warning("payment intent not succeeded", extra={"status": intent.status})
            return Declined(reason=f"payment_{intent.status}")
        return Charged(payment_id=intent.id)

    def refund(self, payment: Payment) -> None:
        import stripe

        try:
            within_rate_limit(
                lambda: stripe_client().v1.refunds.create(
                    params={"payment_intent": payment.payment_id, "metadata": {"orderId": payment.order_id}},
                    options={"idempotency_key": f"refund-{payment.order_id}"},
                )
            )
        except (stripe.AuthenticationError, stripe.PermissionError) as exc:
            _refused_key(exc)
            raise
        except stripe.InvalidRequestError as exc:
            if exc.code == "charge_already_refunded":
                return
            raise


WEBHOOK_TOLERANCE_SECONDS = 300
MAX_SIGNATURE_HEADER_CHARS = 2048


def _signed_at(signature: str) -> int | None:
    """The `t=` timestamp of a `Stripe-Signature` header (its first), or None."""
    for part in signature.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            return int(value) if value.isdigit() and len(value) <= 12 else None
    return None


def verify_webhook(
    payload: str, signature: str | None, *, now: float | None = None, secret: str | None = None
) -> ProviderEvent:
    """The provider event in a webhook body, once Stripe's signature scheme says it is theirs.

    Refused with `BadSignature` (400): no header, a header that is not ASCII (the SDK would compare
    it with `hmac.compare_digest`, which raises on non-ASCII text), a body that is not UTF-8-encodable,
    a signature timestamp more than 5 minutes from now in either direction (the SDK checks only the
    past), or a signature that does not match (`stripe.WebhookSignature.verify_header`). A correctly
    signed body that is not an event object is `NotAProviderEvent` (400). The body is parsed only
    after it is verified, and through the request edge's bounded parser."""
    import stripe

    if not signature or len(signature) > MAX_SIGNATURE_HEADER_CHARS or not signature.isascii():
        raise BadSignature()
    try:
        payload.encode("utf-8")
    except UnicodeEncodeError:
        raise BadSignature() from None
    signed_at = _signed_at(signature)
    current = time.time() if now is None else now
    if signed_at is None or abs(current - signed_at) > WEBHOOK_TOLERANCE_SECONDS:
        raise BadSignature()
    try:
        stripe.WebhookSignature.verify_header(
            payload,
            signature,
            secret or stripe_secret()["webhookSecret"],
            tolerance=WEBHOOK_TOLERANCE_SECONDS,
        )
    except stripe.SignatureVerificationError:
        raise BadSignature() from None
    try:
        document = parse_json(payload, object_only=False)
    except BodyRefused as refused:
        raise NotAProviderEvent(refused.detail.rstrip(".").lower()) from None
    return provider_event(document)


def provider_event(document: Any) -> ProviderEvent:
    """A verified Stripe event document as the rules see it; `NotAProviderEvent` if it is not one."""
    if not isinstance(document, dict):
        raise NotAProviderEvent("not a JSON object")
    event_id, event_type, data = document.get("id"), document.get("type"), document.get("data")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 255:
        raise NotAProviderEvent("no event id")
    if not isinstance(event_type, str) or not event_type or len(event_type) > 255:
        raise NotAProviderEvent("no event type")
    if document.get("object", "event") != "event":
        raise NotAProviderEvent("not an event object")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise NotAProviderEvent("no data.object")
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    payment_id = obj.get("payment_intent") if event_type == "charge.refunded" else obj.get("id")
    error = obj.get("last_payment_error")
    reason = error.get("code") if isinstance(error, dict) else None
    order_id = metadata.get("orderId")
    correlation_id = metadata.get("correlationId")
    return ProviderEvent(
        event_id=event_id,
        type=event_type,
        order_id=order_id if isinstance(order_id, str) else "",
        payment_id=payment_id if isinstance(payment_id, str) else "",
        reason=reason if isinstance(reason, str) and reason else "card_declined",
        correlation_id=correlation_id if isinstance(correlation_id, str) else "",
    )


def _decline_code(exc: Any) -> str | None:
    error = getattr(exc, "error", None)
    return getattr(error, "decline_code", None) if error is not None else None
