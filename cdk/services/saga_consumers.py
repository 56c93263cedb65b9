"""How the saga's services wire one event consumer (issue 6).

`saga_consumer(...)` is a `QueueConsumer` (rule → own KMS-encrypted queue with DLQ → function with
partial batch failures) plus what `commerce.consumer` needs: the consumer's own DLQ URL in
`DLQ_URL` and `sqs:SendMessage` on that queue only, so an event that can never be processed is
dead-lettered at once instead of being retried `maxReceiveCount` times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from constructs import Construct

from cdk.constructs.platform import Platform
from cdk.constructs.queue_consumer import QueueConsumer
from cdk.nag import acknowledge
from commerce.events import source_of


def saga_consumer(
    scope: Construct,
    construct_id: str,
    *,
    platform: Platform,
    service: str,
    module: str,
    description: str,
    detail_types: Sequence[str],
    environment: Mapping[str, str],
    timeout: cdk.Duration | None = None,
    reserved_concurrency: int | None = None,
) -> QueueConsumer:
    consumer = QueueConsumer(
        scope,
        construct_id,
        platform=platform,
        service=service,
        handler=f"{module}.lambda_handler",
        description=description,
        detail_types=list(detail_types),
        sources_=sorted({source_of(name) for name in detail_types}),
        environment=dict(environment),
        timeout=timeout,
        reserved_concurrency=reserved_concurrency,
    )
    consumer.handler.function.add_environment("DLQ_URL", consumer.dead_letters.queue_url)
    consumer.dead_letters.grant_send_messages(consumer.handler.function)
    acknowledge(
        consumer,
        [
            (
                "Serverless::Serverless-LambdaEventSourceMappingDestination",
                "SQS event source mappings take no on-failure destination: the queue's redrive policy "
                "moves a message to its dead-letter queue after maxReceiveCount receives, and "
                "unprocessable messages are sent there at once (DLQ_URL).",
            )
        ],
    )
    return consumer
