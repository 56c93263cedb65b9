"""A service's own DynamoDB table: pk/sk strings, on-demand, KMS-encrypted, point-in-time recovery,
a stream for the outbox relay, TTL on `expiresAt`, retained with deletion protection in prod."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from cdk.constructs.platform import Platform


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: str
    sort_key: str | None = None


class ServiceTable(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, platform: Platform, indexes: tuple[Index, ...] = ()
    ) -> None:
        super().__init__(scope, construct_id)
        config = platform.config
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=platform.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            time_to_live_attribute="expiresAt",
            removal_policy=config.removal_policy,
            deletion_protection=config.deletion_protection,
        )
        for index in indexes:
            self.table.add_global_secondary_index(
                index_name=index.name,
                partition_key=dynamodb.Attribute(
                    name=index.partition_key, type=dynamodb.AttributeType.STRING
                ),
                sort_key=(
                    dynamodb.Attribute(name=index.sort_key, type=dynamodb.AttributeType.STRING)
                    if index.sort_key
                    else None
                ),
                projection_type=dynamodb.ProjectionType.ALL,
            )
