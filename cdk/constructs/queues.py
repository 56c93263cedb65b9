"""SQS queues the way every async path here uses them: KMS-encrypted, TLS-only, and a dead-letter
queue (14-day retention) whose first message raises an alarm (created with the other alarms in
cdk/constructs/monitoring.py, from `platform.dead_letter_queues`)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk.constructs.platform import DeadLetters, Platform
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
    platform.dead_letter_queues.append(DeadLetters(queue, purpose))
    return queue
