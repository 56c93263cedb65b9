"""Catalog (and inventory's stock): the product table, its outbox relay, the cursor secret and the
four product routes. Public reads, admin writes.

Catalog and inventory are one bounded context sharing this table: the inventory consumers (issue 6)
reserve and release stock with conditional updates on the product item's `stock` attribute. The
orders service gets read-only `BatchGetItem` here to price an order (see docs/decisions.md).
"""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk.constructs.function import ServiceFunction
from cdk.constructs.outbox_relay import OutboxRelay
from cdk.constructs.platform import Platform
from cdk.constructs.table import Index, ServiceTable, grant_table
from cdk.nag import acknowledge

#: The event sources this table's outbox relay may put on the bus:
#: its own events and inventory's (inventory writes to the catalog table).
SOURCES = ("commerce.catalog", "commerce.inventory")

ROTATION_REASON = (
    "An HMAC key that only signs pagination cursors: rotating it would only invalidate cursors "
    "already handed out; it protects no data and no credential."
)


def cursor_secret(scope: Construct, construct_id: str, *, platform: Platform) -> secretsmanager.Secret:
    """A generated HMAC key for this service's pagination cursors (never in an env var)."""
    secret = secretsmanager.Secret(
        scope,
        construct_id,
        description="HMAC key for tamper-evident pagination cursors",
        encryption_key=platform.key,
        generate_secret_string=secretsmanager.SecretStringGenerator(
            password_length=64, exclude_punctuation=True, include_space=False
        ),
        removal_policy=platform.config.removal_policy,
    )
    acknowledge(secret, [("AwsSolutions::AwsSolutions-SMG4", ROTATION_REASON)])
    return secret


class CatalogService(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, platform: Platform) -> None:
        super().__init__(scope, construct_id)
        self.data = ServiceTable(
            self, "Products", platform=platform, indexes=(Index("gsi1", "gsi1pk", "gsi1sk"),)
        )
        self.table = self.data.table
        self.relay = OutboxRelay(self, "Outbox", platform=platform, table=self.table, event_sources=SOURCES)
        self.cursor_secret = cursor_secret(self, "CursorSecret", platform=platform)
        environment = {"TABLE_NAME": self.table.table_name}

        def function(construct_id: str, handler: str, description: str) -> lambda_.Function:
            return ServiceFunction(
                self,
                construct_id,
                platform=platform,
                service="catalog",
                handler=f"{handler}.lambda_handler",
                description=description,
                environment=environment,
            ).function

        self.list_products = function("ListProducts", "list_products", "GET /products")
        self.list_products.add_environment("CURSOR_SECRET_ARN", self.cursor_secret.secret_arn)
        self.cursor_secret.grant_read(self.list_products)
        # BatchGetItem: the shards of the sharded products on a page (their true stock).
        grant_table(self.list_products, self.table, ("dynamodb:BatchGetItem", "dynamodb:Query"), index="gsi1")
        platform.api.add_route("GET", "/products", self.list_products, authenticated=False)

        self.get_product = function("GetProduct", "get_product", "GET /products/{productId}")
        grant_table(self.get_product, self.table, ("dynamodb:GetItem",))
        platform.api.add_route("GET", "/products/{productId}", self.get_product, authenticated=False)

        self.create_product = function("CreateProduct", "create_product", "POST /products (admin)")
        grant_table(self.create_product, self.table, ("dynamodb:PutItem",))
        platform.api.add_route("POST", "/products", self.create_product, authenticated=True)

        self.update_product = function(
            "UpdateProduct", "update_product", "PATCH /products/{productId} (admin)"
        )
        # DeleteItem: the shard items a shrink retires (commerce.stock); GetItem also covers the
        # TransactGetItems snapshot of a sharded product.
        grant_table(
            self.update_product,
            self.table,
            ("dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"),
        )
        platform.api.add_route("PATCH", "/products/{productId}", self.update_product, authenticated=True)
