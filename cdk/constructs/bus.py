"""The EventBridge custom bus every service publishes to, with an archive for replay. Both encrypt
events with the stack's data key (the archive would otherwise use an AWS-owned key).

Who may put what (issue 18 finding 10): a service's publisher may put only events of its own
sources (`events:source` on its role), and the bus policy refuses a `commerce.*` source from any other
principal — an explicit Deny in a resource policy binds principals of this account too, whatever
their own IAM policies allow. Internal systems (`warehouse`) are admitted by the bus policy for their
own source only. Locally the AWS stand-in enforces none of this; the template tests do."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk.config import StageConfig

#: The source internal systems put their events with (CONTRACT §2).
WAREHOUSE_SOURCE = "warehouse"


class Bus(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, key: kms.IKey, name: str
    ) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(
            self,
            "EventBus",
            event_bus_name=name,
            kms_key=key,
            description="Commerce domain events",
        )
        # The L1 archive: CDK's `archive(kms_key=...)` writes an empty KmsKeyIdentifier and adds an
        # unconditioned key-policy statement for EventBridge; the platform's key policy already lets
        # EventBridge use the key for this bus (bound to the bus ARN by encryption context).
        events.CfnArchive(
            self,
            "Archive",
            archive_name=f"{name}-all",
            description="Every event on the bus, for replay",
            source_arn=self.bus.event_bus_arn,
            event_pattern={"account": [cdk.Stack.of(self).account]},
            retention_days=365 if config.is_prod else 14,
            kms_key_identifier=key.key_arn,
        )
        for index, principal in enumerate(config.warehouse_principals):
            self.bus.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"WarehousePutsOnlyWarehouseEvents{index}",
                    principals=[
                        iam.ArnPrincipal(principal)
                        if principal.startswith("arn:")
                        else iam.AccountPrincipal(principal)
                    ],
                    actions=["events:PutEvents"],
                    resources=[self.bus.event_bus_arn],
                    conditions={"StringEquals": {"events:source": WAREHOUSE_SOURCE}},
                )
            )

    def grant_publish(self, function: lambda_.IFunction, sources: Sequence[str], sid: str) -> None:
        """`function` may put events of `sources` and of no other source, and no other principal may
        put events of `sources`. `events:source` is evaluated per entry: an entry of another source
        fails with NotAuthorizedForSourceException, which the relay counts in FailedEntryCount.
        https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html"""
        assert function.role is not None, "a publishing function has an execution role"
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["events:PutEvents"],
                resources=[self.bus.event_bus_arn],
                conditions={"StringEquals": {"events:source": list(sources)}},
            )
        )
        # aws:PrincipalArn of an assumed-role session is the role's ARN.
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
        self.bus.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"Only{sid}PutsItsSources",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["events:PutEvents"],
                resources=[self.bus.event_bus_arn],
                conditions={
                    "StringEquals": {"events:source": list(sources)},
                    "ArnNotEquals": {"aws:PrincipalArn": function.role.role_arn},
                },
            )
        )
