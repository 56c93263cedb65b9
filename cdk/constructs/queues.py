"""SQS queues the way every async path here uses them: KMS-encrypted, TLS-only, and a dead-letter
queue (14-day retention) whose first message raises an alarm."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk.constructs.platform import Platform
from cdk.nag import acknowledge_dead_letter_queue

DLQ_RETENTION = cdk.Duration.days(14)


def dead_letter_queue(scope: Construct, construct_id: str, *, platform: Platform, purpose: str) -> sqs.Queue:
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=platform.key,
        enforce_ssl=True,
        retention_period=DLQ_RETENTION,
    )
    acknowledge_dead_letter_queue(queue)
    alarm = cloudwatch.Alarm(
        scope,
        f"{construct_id}Alarm",
        alarm_description=f"A message reached the dead-letter queue: {purpose}. See docs/runbook.md.",
        metric=queue.metric_approximate_number_of_messages_visible(period=cdk.Duration.minutes(1)),
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    alarm.add_alarm_action(cw_actions.SnsAction(platform.alarm_topic))
    return queue
