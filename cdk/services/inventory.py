"""Inventory (part of the catalog bounded context): three consumers on the catalog table.

    OrderPlaced                   → inventory.reserve_stock    (StockReserved / StockReservationFailed)
    OrderCancelled, PaymentFailed → inventory.release_stock    (StockReleased, exactly once)
    StockReplenished (warehouse)  → inventory.replenish_stock  (stock += quantity)

Their events go out through the catalog table's outbox relay (owned by the catalog construct).
Each function may only touch the catalog table, with the item actions its transactions use (a
transaction's Get and ConditionCheck need GetItem and ConditionCheckItem:
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).

The reserve consumer is sized for a flash sale (docs/capacity.md): up to `reserve_concurrency`
concurrent batches of 10, and it shards a product whose writes DynamoDB throttles by itself, up to
`AUTO_SHARDS_MAX` shards (docs/decisions.md §24).
"""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from cdk.constructs.platform import Platform
from cdk.constructs.queue_consumer import QueueConsumer
from cdk.constructs.table import grant_table

#: How many shards a throttled product may grow to by itself (inventory.domain.AUTO_SHARDS_MAX).
AUTO_SHARDS_MAX = 16


class InventoryService(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, platform: Platform, catalog_table: dynamodb.ITable
    ) -> None:
        super().__init__(scope, construct_id)
        environment = {"TABLE_NAME": catalog_table.table_name}
        config = platform.config
        #: (construct, module, detail types, table actions, max concurrency, extra environment)
        specs: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...], int, dict[str, str]], ...] = (
            (
                "Reserve",
                "reserve_stock",
                ("OrderPlaced",),
                # GetItem: the snapshot read (TransactGetItems) before an automatic reshard.
                ("dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
                config.reserve_concurrency,
                {"AUTO_SHARDS_MAX": str(AUTO_SHARDS_MAX)},
            ),
            (
                "Release",
                "release_stock",
                ("OrderCancelled", "PaymentFailed"),
                ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
                5,
                {},
            ),
            (
                "Replenish",
                "replenish_stock",
                ("StockReplenished",),
                # A sharded product's replenishment is guarded by its shard count (ConditionCheck).
                (
                    "dynamodb:ConditionCheckItem",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                ),
                5,
                {},
            ),
        )
        self.consumers = {}
        for construct_name, module, detail_types, actions, concurrency, extra in specs:
            consumer = QueueConsumer(
                self,
                construct_name,
                platform=platform,
                service="inventory",
                handler=f"{module}.lambda_handler",
                description=f"{', '.join(detail_types)} → inventory.{module}",
                detail_types=detail_types,
                environment={**environment, **extra},
                max_concurrency=concurrency,
            )
            grant_table(consumer.handler.function, catalog_table, actions)
            self.consumers[module] = consumer
