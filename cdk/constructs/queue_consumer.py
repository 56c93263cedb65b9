"""An event consumer: an EventBridge rule → its own SQS queue (+ DLQ) → one Lambda function.

The queue's visibility timeout is six times the function timeout (AWS guidance for SQS event
sources); after `max_receive_count` failed deliveries a message moves to the DLQ, which alarms.
A failed message does not wait for that timeout: `commerce.consumer` hands it back with a short
backoff that grows with its receive count (`sqs:ChangeMessageVisibility` on `QUEUE_URL`), so an
event that arrived before what it depends on settles in seconds.
`record_budget` is the longest one message may take (`RECORD_BUDGET_MS`): a batch of `batch_size`
fits in the function timeout even if every message takes that long, and when the time left is
less than one budget the consumer hands the rest of the batch back instead of timing out.
A message that can never succeed (it does not fit its schema) is sent to that DLQ at once by
`commerce.consumer` (env `DLQ_URL`, `sqs:SendMessage` on that queue only) instead of being retried;
one that failed only because a dependency throttled it is sent again to its own queue with a delay
(`sqs:SendMessage` on `QUEUE_URL`), so throttling never spends its receives.
The rule target has its own DLQ for delivery failures. The function reports partial batch
failures, so one bad message never re-runs its whole batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

import aws_cdk as cdk
import jsii
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from aws_cdk.interfaces.aws_events import IRuleRef
from constructs import Construct

from cdk.constructs.function import ServiceFunction
from cdk.constructs.platform import Platform
from cdk.constructs.queues import dead_letter_queue
from cdk.nag import acknowledge
from commerce.events import source_of


@jsii.implements(events.IRuleTarget)
class EncryptedQueueTarget:
    """A rule target that delivers to a KMS-encrypted queue (and its own delivery DLQ).

    CDK's `targets.SqsQueue` also grants `events.amazonaws.com` the queue's key with no condition;
    the platform's key policy already lets EventBridge use the key for rules on our bus only
    (aws:SourceArn), so this target adds just the queue policies, each bound to its rule."""

    def __init__(
        self, queue: sqs.IQueue, *, dead_letter_queue: sqs.IQueue, retry_attempts: int, max_age: cdk.Duration
    ):
        self.queue = queue
        self.dead_letter_queue = dead_letter_queue
        self.retry_attempts = retry_attempts
        self.max_age = max_age

    def bind(self, rule: IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        rule_arn = cast(events.IRule, rule).rule_arn
        # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions
        for queue in (self.queue, self.dead_letter_queue):
            queue.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal("events.amazonaws.com")],
                    actions=["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                    resources=[queue.queue_arn],
                    conditions={"ArnEquals": {"aws:SourceArn": rule_arn}},
                )
            )
        return events.RuleTargetConfig(
            arn=self.queue.queue_arn,
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(arn=self.dead_letter_queue.queue_arn),
            retry_policy=events.CfnRule.RetryPolicyProperty(
                maximum_retry_attempts=self.retry_attempts,
                maximum_event_age_in_seconds=int(self.max_age.to_seconds()),
            ),
        )


DEFAULT_TIMEOUT = cdk.Duration.seconds(30)
#: A message that only reads and writes DynamoDB takes milliseconds; 2.5 s is generous.
DEFAULT_RECORD_BUDGET = cdk.Duration.millis(2500)


class QueueConsumer(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        platform: Platform,
        service: str,
        handler: str,
        description: str,
        detail_types: Sequence[str],
        sources_: Sequence[str] | None = None,
        environment: Mapping[str, str] | None = None,
        timeout: cdk.Duration | None = None,
        batch_size: int = 10,
        record_budget: cdk.Duration | None = None,
        max_concurrency: int = 5,
        max_receive_count: int = 5,
    ) -> None:
        super().__init__(scope, construct_id)
        function_timeout = timeout or DEFAULT_TIMEOUT
        budget = record_budget or DEFAULT_RECORD_BUDGET
        if batch_size * budget.to_milliseconds() >= function_timeout.to_milliseconds():
            raise ValueError(
                f"{construct_id}: {batch_size} messages x {budget.to_seconds()} s do not fit in "
                f"{function_timeout.to_seconds()} s; lower the batch size or raise the timeout"
            )
        self.handler = ServiceFunction(
            self,
            "Consumer",
            platform=platform,
            service=service,
            handler=handler,
            description=description,
            environment={**(environment or {}), "RECORD_BUDGET_MS": str(int(budget.to_milliseconds()))},
            timeout=function_timeout,
        )
        self.dead_letters = dead_letter_queue(self, "Dlq", platform=platform, purpose=f"{service} {handler}")
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=platform.key,
            enforce_ssl=True,
            visibility_timeout=cdk.Duration.seconds(function_timeout.to_seconds() * 6),
            retention_period=cdk.Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letters, max_receive_count=max_receive_count
            ),
        )
        self.delivery_dead_letters = dead_letter_queue(
            self, "DeliveryDlq", platform=platform, purpose=f"EventBridge delivery to {service} {handler}"
        )
        self.rule = events.Rule(
            self,
            "Rule",
            event_bus=platform.bus.bus,
            description=f"{', '.join(detail_types)} → {service}.{handler}",
            event_pattern=events.EventPattern(
                source=list(sources_) if sources_ else sorted({source_of(name) for name in detail_types}),
                detail_type=list(detail_types),
            ),
            targets=[
                EncryptedQueueTarget(
                    self.queue,
                    dead_letter_queue=self.delivery_dead_letters,
                    retry_attempts=20,
                    max_age=cdk.Duration.hours(24),
                )
            ],
        )
        self.handler.function.add_environment("DLQ_URL", self.dead_letters.queue_url)
        self.handler.function.add_environment("QUEUE_URL", self.queue.queue_url)
        self.dead_letters.grant_send_messages(self.handler.function)
        self.queue.grant_send_messages(self.handler.function)  # deferring a throttled message
        acknowledge(
            self,
            [
                (
                    "Serverless::Serverless-LambdaEventSourceMappingDestination",
                    "SQS event source mappings take no on-failure destination: the queue's redrive "
                    "policy moves a message to its dead-letter queue after maxReceiveCount receives, "
                    "and unprocessable messages are sent there at once (DLQ_URL).",
                )
            ],
        )
        self.handler.function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=batch_size,
                report_batch_item_failures=True,
                max_concurrency=max_concurrency,
            )
        )
