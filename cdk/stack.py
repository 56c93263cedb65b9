"""The Commerce stack: the platform, then each service wired onto it."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from cdk.config import StageConfig
from cdk.constructs.backup import TableBackups
from cdk.constructs.cdn import ApiCdn
from cdk.constructs.monitoring import MonitoringStack
from cdk.constructs.platform import Platform
from cdk.constructs.schemas import EventSchemaRegistry
from cdk.constructs.waf import ApiFirewall, OriginSecret
from cdk.nag import acknowledge_stack_findings
from cdk.services.catalog import CatalogService
from cdk.services.identity import IdentityService
from cdk.services.inventory import InventoryService
from cdk.services.notifications import NotificationsService
from cdk.services.order_saga import OrderSaga
from cdk.services.orders import OrdersService
from cdk.services.payments import PaymentsService
from cdk.services.system import SystemService


class CommerceStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.platform = Platform(self, "Platform", config=config)

        SystemService(self, "System", platform=self.platform)
        # Services, one line each. Identity comes first: it installs the API's authorizer.
        self.identity = IdentityService(self, "Identity", platform=self.platform)
        self.catalog = CatalogService(self, "Catalog", platform=self.platform)
        self.orders = OrdersService(self, "Orders", platform=self.platform, catalog_table=self.catalog.table)
        InventoryService(self, "Inventory", platform=self.platform, catalog_table=self.catalog.table)
        self.payments = PaymentsService(self, "Payments", platform=self.platform)
        NotificationsService(
            self, "Notifications", platform=self.platform, contact_key=self.identity.contact_key
        )
        OrderSaga(self, "OrderSaga", platform=self.platform, orders_table=self.orders.table)

        self.platform.api.finalize()
        # Dashboards, alarms and the schema registry live in nested stacks: each stack stays far
        # from CloudFormation's 500-resource limit as services grow.
        schemas = cdk.NestedStack(self, "EventSchemas", description=f"Commerce {config.stage}: event schemas")
        EventSchemaRegistry(schemas, "Registry", config=config)
        origin_secret = None
        if config.firewall:
            # Prod is reachable only through the CDN: the web ACL requires CloudFront's secret header.
            origin_secret = OriginSecret(self, "OriginVerify", key=self.platform.key).value
            ApiFirewall(
                self.platform.api,
                "Firewall",
                stage=self.platform.api.rest_api.deployment_stage,
                origin_secret=origin_secret,
                requests_per_5_min_per_viewer=2000,
            )
        cdn = ApiCdn(self, "Cdn", platform=self.platform, origin_secret=origin_secret)
        cdn_url = f"https://{cdn.distribution.distribution_domain_name}/"
        if config.is_prod:
            TableBackups(self, "Backups", platform=self.platform)
        cdk.CfnOutput(self, "CdnUrl", value=cdn_url, description="The API through CloudFront")
        if config.firewall:
            cdk.CfnOutput(self, "ApiUrl", value=cdn_url, description="Base URL of the public API (the CDN)")
            cdk.CfnOutput(
                self,
                "OriginUrl",
                value=self.platform.api.url,
                description="The API Gateway stage; answers only requests that come through the CDN",
            )
        else:
            cdk.CfnOutput(
                self, "ApiUrl", value=self.platform.api.url, description="Base URL of the public API"
            )
        cdk.CfnOutput(
            self,
            "EventBusName",
            value=self.platform.bus.bus.event_bus_name,
            description="The domain event bus",
        )
        # What tools (smoke, preflight, create_admin) need to find their way around a deployed stack.
        cdk.CfnOutput(self, "CatalogTableName", value=self.catalog.table.table_name)
        cdk.CfnOutput(self, "OrdersTableName", value=self.orders.table.table_name)
        cdk.CfnOutput(self, "StripeSecretArn", value=self.payments.stripe_secret.secret_arn)
        cdk.CfnOutput(self, "SenderIdentity", value=config.sender.identity)
        MonitoringStack(self, "Monitoring", platform=self.platform)
        cdk.CfnOutput(self, "AlarmTopicArn", value=self.platform.alarm_topic.topic_arn)
        acknowledge_stack_findings(self, is_prod=config.is_prod)
