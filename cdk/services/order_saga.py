"""The orders side of the saga: four consumers that move an order through the transition API.

    StockReservationFailed          → orders.advance_order          → REJECTED  (OrderRejected)
    PaymentSucceeded                → orders.advance_order          → CONFIRMED (OrderConfirmed)
    PaymentFailed                   → orders.advance_order          → CANCELLED (OrderCancelled)
    ShipmentDispatched (warehouse)  → orders.on_shipment_dispatched → SHIPPED   (OrderShipped)

The three internal verdicts share one consumer (the stack is near CloudFormation's 500-resource
limit and a consumer costs ~17 resources); the warehouse's inbound event keeps its own queue and DLQ.

The transitions are one guarded TransactWriteItems (conditional Update + outbox Put) on the orders
table, whose outbox relay belongs to the orders construct.
"""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from cdk.constructs.platform import Platform
from cdk.constructs.queue_consumer import QueueConsumer
from cdk.constructs.table import grant_table

TRANSITION_ACTIONS = ("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem")


class OrderSaga(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, platform: Platform, orders_table: dynamodb.ITable
    ) -> None:
        super().__init__(scope, construct_id)
        specs = (
            (
                "AdvanceOrder",
                "advance_order",
                ("StockReservationFailed", "PaymentSucceeded", "PaymentFailed"),
            ),
            ("ShipmentDispatched", "on_shipment_dispatched", ("ShipmentDispatched",)),
        )
        self.consumers = {}
        for construct_name, module, detail_types in specs:
            consumer = QueueConsumer(
                self,
                construct_name,
                platform=platform,
                service="orders",
                handler=f"{module}.lambda_handler",
                description=f"{', '.join(detail_types)} → orders.{module}",
                detail_types=detail_types,
                environment={"TABLE_NAME": orders_table.table_name},
            )
            grant_table(consumer.handler.function, orders_table, TRANSITION_ACTIONS)
            self.consumers[module] = consumer
