"""Notifications: its own table (the private contact projection), two consumers and SES.

    UserRegistered, UserDeleted                          → notifications.keep_contacts
    OrderConfirmed, OrderRejected, OrderCancelled, OrderShipped → notifications.email_order_update

Only `keep_contacts` may decrypt with identity's contact key (kms:Decrypt, nothing else). Both may
send mail only as the configured sender identity (`ses:SendEmail` on that identity), which is
declared here so SES (and the local stack) knows it. The sender address is the CDK context value
`emailFrom` (default below); production must verify its domain in SES (docs/saga.md).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ses as ses
from constructs import Construct

from cdk.constructs.platform import Platform
from cdk.constructs.queue_consumer import QueueConsumer
from cdk.constructs.table import ServiceTable
from cdk.services.catalog import WRITE_KMS, grant_table

DEFAULT_SENDER = "orders@commerce.example.com"
# Contact items (Get/Put) and Powertools Idempotency records for sent emails (+Update/Delete).
TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")


class NotificationsService(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, platform: Platform, contact_key: kms.IKey
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        sender = str(self.node.try_get_context("emailFrom") or DEFAULT_SENDER)
        self.table = ServiceTable(self, "Notifications", platform=platform).table
        # No OutboxRelay: notifications publishes no events, so a relay would never run (and the
        # stack is near CloudFormation's 500-resource limit). Add one with the first event.
        self.sender = ses.EmailIdentity(self, "Sender", identity=ses.Identity.email(sender))
        sender_arn = stack.format_arn(
            service="ses",
            resource="identity",
            resource_name=sender,
            arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME,
        )
        environment = {"TABLE_NAME": self.table.table_name, "EMAIL_FROM": sender}

        self.keep_contacts = QueueConsumer(
            self,
            "KeepContacts",
            platform=platform,
            service="notifications",
            handler="keep_contacts.lambda_handler",
            description="UserRegistered, UserDeleted → notifications.keep_contacts",
            detail_types=("UserRegistered", "UserDeleted"),
            environment={**environment, "CONTACT_KEY_ARN": contact_key.key_arn},
        )
        contact_key.grant(self.keep_contacts.handler.function, "kms:Decrypt")

        self.email_order_update = QueueConsumer(
            self,
            "EmailOrderUpdate",
            platform=platform,
            service="notifications",
            handler="email_order_update.lambda_handler",
            description="Order status events → notifications.email_order_update",
            detail_types=("OrderConfirmed", "OrderRejected", "OrderCancelled", "OrderShipped"),
            environment=environment,
        )
        for consumer in (self.keep_contacts, self.email_order_update):
            function: lambda_.IFunction = consumer.handler.function
            grant_table(function, self.table, TABLE_ACTIONS, key_actions=WRITE_KMS)
            function.add_to_role_policy(
                iam.PolicyStatement(actions=["ses:SendEmail"], resources=[sender_arn])
            )
