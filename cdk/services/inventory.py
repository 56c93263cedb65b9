"""Inventory (part of the catalog bounded context): three consumers on the catalog table.

    OrderPlaced                   → inventory.reserve_stock    (StockReserved / StockReservationFailed)
    OrderCancelled, PaymentFailed → inventory.release_stock    (StockReleased, exactly once)
    StockReplenished (warehouse)  → inventory.replenish_stock  (stock += quantity)

Their events go out through the catalog table's outbox relay (owned by the catalog construct).
Each function may only touch the catalog table, with the item actions its transactions use.
"""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from cdk.constructs.platform import Platform
from cdk.constructs.queue_consumer import QueueConsumer
from cdk.constructs.table import grant_table


class InventoryService(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, platform: Platform, catalog_table: dynamodb.ITable
    ) -> None:
        super().__init__(scope, construct_id)
        environment = {"TABLE_NAME": catalog_table.table_name}
        specs = (
            (
                "Reserve",
                "reserve_stock",
                ("OrderPlaced",),
                ("dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
            ),
            (
                "Release",
                "release_stock",
                ("OrderCancelled", "PaymentFailed"),
                ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
            ),
            (
                "Replenish",
                "replenish_stock",
                ("StockReplenished",),
                ("dynamodb:PutItem", "dynamodb:UpdateItem"),
            ),
        )
        self.consumers = {}
        for construct_name, module, detail_types, actions in specs:
            consumer = QueueConsumer(
                self,
                construct_name,
                platform=platform,
                service="inventory",
                handler=f"{module}.lambda_handler",
                description=f"{', '.join(detail_types)} → inventory.{module}",
                detail_types=detail_types,
                environment=environment,
            )
            grant_table(consumer.handler.function, catalog_table, actions)
            self.consumers[module] = consumer
