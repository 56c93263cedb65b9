"""The outbox relay for one service table: its stream → `system.outbox_relay` → the bus.

Only outbox inserts reach the function (stream filter). Failed records are retried from the first
failure (batch item failures), a poison batch is bisected, retries are capped, and what still fails
goes to the relay's dead-letter queue — with an alarm, never silently dropped. The relay may put
only the sources of the services whose outbox is in its table (`Bus.grant_publish`).

Sized for a flash sale (docs/capacity.md): batches of up to 100 records, so under load `PutEvents`
carries its full 10 entries per request (the account's 10,000 requests a second then carry 100,000
events), and up to 10 batches per stream shard at once (records of one item stay in order; outbox
items are all distinct). No batching window: at low rates an event is not held back waiting for
others, and at high rates the batches fill by themselves while the previous one is published."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from cdk.constructs.function import ServiceFunction
from cdk.constructs.platform import Platform
from cdk.constructs.queues import dead_letter_queue


class OutboxRelay(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        platform: Platform,
        table: dynamodb.ITable,
        event_sources: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.handler = ServiceFunction(
            self,
            "Relay",
            platform=platform,
            service="system",
            handler="outbox_relay.lambda_handler",
            description="Publishes outbox entries from the table stream to the event bus",
            environment={"EVENT_BUS_NAME": platform.bus.bus.event_bus_name},
            timeout=cdk.Duration.seconds(30),
        )
        platform.bus.grant_publish(
            self.handler.function,
            event_sources,
            sid="".join(source.split(".")[-1].title() for source in event_sources) + "Relay",
        )
        self.dead_letters = dead_letter_queue(self, "RelayDlq", platform=platform, purpose="outbox relay")
        self.dead_letters.grant_send_messages(self.handler.function)
        self.handler.function.add_event_source(
            sources.DynamoEventSource(
                table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=100,
                parallelization_factor=10,
                bisect_batch_on_error=True,
                retry_attempts=10,
                max_record_age=cdk.Duration.hours(24),
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(self.dead_letters),
                filters=[
                    lambda_.FilterCriteria.filter(
                        {
                            "eventName": lambda_.FilterRule.is_equal("INSERT"),
                            "dynamodb": {
                                "NewImage": {"pk": {"S": lambda_.FilterRule.begins_with("OUTBOX#")}}
                            },
                        }
                    )
                ],
            )
        )
