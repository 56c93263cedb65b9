"""The EventBridge custom bus every service publishes to, with an archive for replay. Both encrypt
events with the stack's data key (the archive would otherwise use an AWS-owned key)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk.config import StageConfig


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
