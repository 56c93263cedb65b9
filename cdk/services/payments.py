"""Payments: its own table and outbox relay, the Stripe secret, three consumers and the webhook.

    OrderPlaced     → payments.record_order   (the payments projection: total, payment method)
    StockReserved   → payments.charge_order   (Stripe PaymentIntent; paced within Stripe's rate limit)
    OrderCancelled  → payments.refund_order   (Stripe refund of a captured payment)
    POST /payments/webhook → payments.stripe_webhook (public; Stripe-Signature verified)

The Stripe secret (`{"apiKey", "webhookSecret"}`) is created with a placeholder API key
(`sk_test_local`, which only the local Stripe stub accepts) and a generated webhook secret; a real
deployment sets both with `aws secretsmanager put-secret-value` (docs/runbook.md, checked by
tools/preflight.py). Until then every charge fails loudly: Stripe's authentication error is logged
as one, counted, and raises the `Stripe-Authentication` alarm. Functions get the secret's ARN in
`STRIPE_SECRET_ARN` and read it through commerce.parameters.
"""

from __future__ import annotations

import math

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk.constructs.function import ServiceFunction
from cdk.constructs.outbox_relay import OutboxRelay
from cdk.constructs.platform import Platform
from cdk.constructs.queue_consumer import QueueConsumer
from cdk.constructs.table import ServiceTable, grant_table
from cdk.nag import acknowledge

#: The event sources this table's outbox relay may put on the bus: payments' events.
SOURCES = ("commerce.payments",)

#: Stripe's limits are per account: 100 operations a second in live mode, and by default 25 requests
#: a second per endpoint (POST /v1/payment_intents, POST /v1/refunds). https://docs.stripe.com/rate-limits
STRIPE_ENDPOINT_REQUESTS_PER_SECOND = 25
STRIPE_HEADROOM = 0.8
#: A confirmed PaymentIntent takes ~0.3-0.5 s: one environment makes at most ~2 charges a second.
CHARGES_PER_ENVIRONMENT = 2.0
#: Concurrent refunding functions at most (refunds are rare: cancellations after a charge).
REFUND_CONCURRENCY = 5
#: The longest one Stripe-calling message may take: a Stripe call with its two network retries is at
#: most 3 x (3 s connect + 10 s read) + 0.5 s + 1 s of backoff = 40.5 s (functions/payments/
#: stripe_gateway.py), plus ~10 s for the DynamoDB reads and writes around it. Three such messages
#: fit in the timeout; when less than one budget is left the rest of the batch is handed back.
STRIPE_RECORD_BUDGET = cdk.Duration.seconds(50)
STRIPE_BATCH_SIZE = 3
STRIPE_TIMEOUT = cdk.Duration.seconds(180)
# Powertools Idempotency writes, reads, updates and (on failure) deletes its records.
IDEMPOTENT_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")


def _rate(per_second: float) -> str:
    return f"{per_second:.3f}".rstrip("0").rstrip(".")


class PaymentsService(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, platform: Platform) -> None:
        super().__init__(scope, construct_id)
        self.table = ServiceTable(self, "Payments", platform=platform).table
        self.relay = OutboxRelay(self, "Outbox", platform=platform, table=self.table, event_sources=SOURCES)
        self.stripe_secret = secretsmanager.Secret(
            self,
            "StripeSecret",
            description="Stripe API key and webhook signing secret: {apiKey, webhookSecret}",
            encryption_key=platform.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template='{"apiKey": "sk_test_local"}',  # noqa: S106 - a placeholder
                generate_string_key="webhookSecret",
                exclude_punctuation=True,
                include_space=False,
                password_length=48,
            ),
            removal_policy=platform.config.removal_policy,
        )
        acknowledge(
            self.stripe_secret,
            [
                (
                    "AwsSolutions::AwsSolutions-SMG4",
                    "Stripe keys are rolled in the Stripe dashboard, then stored here with "
                    "put-secret-value (docs/saga.md); Secrets Manager cannot rotate them itself.",
                )
            ],
        )
        stripe_env = {"TABLE_NAME": self.table.table_name, "STRIPE_SECRET_ARN": self.stripe_secret.secret_arn}
        # Concurrent charging functions at most, each paced to its share of the account's rate
        # (STRIPE_REQUESTS_PER_SECOND), so together they stay within it. The SQS mapping's maximum
        # concurrency bounds them; reserved concurrency would too, but fails the deploy on accounts
        # whose concurrency quota leaves less than 100 unreserved (new accounts).
        # https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
        charge_rate = platform.config.stripe_charges_per_second
        self.charge_concurrency = max(5, math.ceil(charge_rate / CHARGES_PER_ENVIRONMENT))
        refund_rate = STRIPE_HEADROOM * STRIPE_ENDPOINT_REQUESTS_PER_SECOND

        self.record_order = QueueConsumer(
            self,
            "RecordOrder",
            platform=platform,
            service="payments",
            handler="record_order.lambda_handler",
            description="OrderPlaced → payments.record_order",
            detail_types=("OrderPlaced",),
            environment={"TABLE_NAME": self.table.table_name},
        )
        grant_table(self.record_order.handler.function, self.table, ("dynamodb:PutItem",))

        self.charge_order = QueueConsumer(
            self,
            "ChargeOrder",
            platform=platform,
            service="payments",
            handler="charge_order.lambda_handler",
            description="StockReserved → payments.charge_order (Stripe)",
            detail_types=("StockReserved",),
            environment={
                **stripe_env,
                "STRIPE_REQUESTS_PER_SECOND": _rate(charge_rate / self.charge_concurrency),
            },
            timeout=STRIPE_TIMEOUT,
            batch_size=STRIPE_BATCH_SIZE,
            record_budget=STRIPE_RECORD_BUDGET,
            max_concurrency=self.charge_concurrency,
        )
        self.refund_order = QueueConsumer(
            self,
            "RefundOrder",
            platform=platform,
            service="payments",
            handler="refund_order.lambda_handler",
            description="OrderCancelled → payments.refund_order (Stripe)",
            detail_types=("OrderCancelled",),
            environment={**stripe_env, "STRIPE_REQUESTS_PER_SECOND": _rate(refund_rate / REFUND_CONCURRENCY)},
            timeout=STRIPE_TIMEOUT,
            batch_size=STRIPE_BATCH_SIZE,
            record_budget=STRIPE_RECORD_BUDGET,
            max_concurrency=REFUND_CONCURRENCY,
        )
        for consumer in (self.charge_order, self.refund_order):
            self._grant_stripe(consumer.handler.function)
        refused = cloudwatch.Alarm(
            self,
            "StripeAuthenticationAlarm",
            alarm_name=f"commerce-{platform.config.stage}-Stripe-Authentication",
            alarm_description=(
                "Stripe refused the API key: charges and refunds cannot succeed. Put the real key into "
                "the Stripe secret (docs/runbook.md#the-stripe-secret)."
            ),
            metric=cloudwatch.Metric(
                namespace="Commerce",
                metric_name="StripeAuthenticationFailed",
                dimensions_map={"service": "payments"},
                statistic="Sum",
                period=cdk.Duration.minutes(1),
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        refused.add_alarm_action(cw_actions.SnsAction(platform.alarm_topic))

        self.webhook = ServiceFunction(
            self,
            "StripeWebhook",
            platform=platform,
            service="payments",
            handler="stripe_webhook.lambda_handler",
            description="POST /payments/webhook (Stripe)",
            environment=stripe_env,
            timeout=cdk.Duration.seconds(15),
        ).function
        self._grant_stripe(self.webhook)
        platform.api.add_route("POST", "/payments/webhook", self.webhook, authenticated=False)

    def _grant_stripe(self, function: lambda_.IFunction) -> None:
        grant_table(function, self.table, IDEMPOTENT_ACTIONS)
        self.stripe_secret.grant_read(function)
