"""Orders: the orders table, its outbox relay, the cursor secret and the four order routes.

Each function gets only the DynamoDB actions it uses. Placing an order also reads the catalog
table — `BatchGetItem` only, the one documented exception to table ownership (docs/decisions.md):
an order must be priced from the catalog's own item at the moment it is placed. The saga
consumers (cdk/services/order_saga.py) call the same `Orders.transition` use case.
"""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk.constructs.function import ServiceFunction
from cdk.constructs.outbox_relay import OutboxRelay
from cdk.constructs.platform import Platform
from cdk.constructs.table import Index, ServiceTable, grant_table
from cdk.services.catalog import cursor_secret

#: The event sources this table's outbox relay may put on the bus:
#: orders' events, also those the saga consumers write to the orders table.
SOURCES = ("commerce.orders",)


class OrdersService(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, platform: Platform, catalog_table: dynamodb.ITable
    ) -> None:
        super().__init__(scope, construct_id)
        self.data = ServiceTable(
            self, "Orders", platform=platform, indexes=(Index("gsi1", "gsi1pk", "gsi1sk"),)
        )
        self.table = self.data.table
        self.relay = OutboxRelay(self, "Outbox", platform=platform, table=self.table, event_sources=SOURCES)
        self.cursor_secret = cursor_secret(self, "CursorSecret", platform=platform)
        environment = {"TABLE_NAME": self.table.table_name}

        def function(
            construct_id: str, handler: str, description: str, memory_size: int = 256
        ) -> lambda_.Function:
            return ServiceFunction(
                self,
                construct_id,
                platform=platform,
                service="orders",
                handler=f"{handler}.lambda_handler",
                description=description,
                environment=environment,
                memory_size=memory_size,
            ).function

        self.place_order = function("PlaceOrder", "place_order", "POST /orders", memory_size=512)
        self.place_order.add_environment("CATALOG_TABLE_NAME", catalog_table.table_name)
        grant_table(
            self.place_order,
            self.table,
            ("dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem"),
        )
        grant_table(self.place_order, catalog_table, ("dynamodb:BatchGetItem",))
        config = platform.config
        platform.api.add_route(
            "POST",
            "/orders",
            self.place_order,
            authenticated=True,
            throttle=(config.orders_rate_limit, config.orders_burst_limit),
        )

        self.get_order = function("GetOrder", "get_order", "GET /orders/{orderId}")
        grant_table(self.get_order, self.table, ("dynamodb:GetItem",))
        platform.api.add_route("GET", "/orders/{orderId}", self.get_order, authenticated=True)

        self.list_orders = function("ListOrders", "list_orders", "GET /orders")
        self.list_orders.add_environment("CURSOR_SECRET_ARN", self.cursor_secret.secret_arn)
        self.cursor_secret.grant_read(self.list_orders)
        grant_table(self.list_orders, self.table, ("dynamodb:Query",), index="gsi1")
        platform.api.add_route("GET", "/orders", self.list_orders, authenticated=True)

        self.cancel_order = function("CancelOrder", "cancel_order", "POST /orders/{orderId}/cancel")
        grant_table(
            self.cancel_order,
            self.table,
            ("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"),
        )
        platform.api.add_route("POST", "/orders/{orderId}/cancel", self.cancel_order, authenticated=True)
