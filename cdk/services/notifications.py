"""Notifications: its own table (the private contact projection), two consumers and SES.

    UserRegistered, UserDeleted                          → notifications.keep_contacts
    OrderConfirmed, OrderRejected, OrderCancelled, OrderShipped → notifications.email_order_update

Only `keep_contacts` may decrypt with identity's contact key (kms:Decrypt, nothing else). Both may
send mail only as the stage's sender (`ses:SendEmail` on the identity this stack creates, and for a
domain only from `orders@<domain>`). The sender is a deploy-time setting (cdk/config.py): by default
the domain identity `<stage>.commerce.example`, one per stage so stages can share an account. A
domain identity is DKIM-signed (Easy DKIM: the stack outputs the three CNAME records to publish);
an address identity (`senderAddress`) is verified by a link SES mails to it and has no DKIM.
A new account is in the SES sandbox until production access is granted (docs/runbook.md): until
then SES refuses mail to unverified recipients, and those messages go to the DLQ at once.
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
from cdk.constructs.table import ServiceTable, grant_table

# Contact items (Get/Put) and Powertools Idempotency records for sent emails (+Update/Delete).
TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")


class NotificationsService(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, platform: Platform, contact_key: kms.IKey
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        sender = platform.config.sender
        self.table = ServiceTable(self, "Notifications", platform=platform).table
        # No OutboxRelay: notifications publishes no events, so a relay would never run (and the
        # stack is near CloudFormation's 500-resource limit). Add one with the first event.
        # https://docs.aws.amazon.com/ses/latest/dg/creating-identities.html
        self.sender = ses.EmailIdentity(
            self,
            "Sender",
            identity=ses.Identity.domain(sender.identity)
            if sender.is_domain
            else ses.Identity.email(sender.identity),
        )
        sender_arn = stack.format_arn(
            service="ses",
            resource="identity",
            resource_name=sender.identity,
            arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME,
        )
        if sender.is_domain:
            for n in (1, 2, 3):
                name = getattr(self.sender, f"dkim_dns_token_name{n}")
                value = getattr(self.sender, f"dkim_dns_token_value{n}")
                cdk.CfnOutput(
                    stack,
                    f"SenderDkimRecord{n}",
                    value=cdk.Fn.join(" ", [name, "CNAME", value]),
                    description=f"DNS record {n} of 3 that verifies {sender.identity} for SES (Easy DKIM)",
                )
        environment = {"TABLE_NAME": self.table.table_name, "EMAIL_FROM": sender.address}

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
            grant_table(function, self.table, TABLE_ACTIONS)
            function.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["ses:SendEmail"],
                    resources=[sender_arn],
                    conditions={"StringEquals": {"ses:FromAddress": sender.address}},
                )
            )
