"""A service's own DynamoDB table: pk/sk strings, on-demand, KMS-encrypted, point-in-time recovery,
a stream for the outbox relay, TTL on `expiresAt`, retained with deletion protection in prod; and
`grant_table`, the one way a function is given access to a table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk.constructs.platform import Platform

#: DynamoDB actions that only read: the table key's data keys are needed for decryption only.
READ_ACTIONS = frozenset(
    {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:ConditionCheckItem",
    }
)
READ_KMS = ("kms:Decrypt",)
WRITE_KMS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")


def grant_table(
    function: lambda_.IFunction,
    table: dynamodb.ITable,
    actions: tuple[str, ...],
    *,
    index: str | None = None,
    conditions: Mapping[str, Any] | None = None,
) -> None:
    """Exactly `actions` on `table` (and on one of its indexes), plus the table key's KMS actions
    those imply: decrypt for reads, decrypt and encrypt for writes. A transaction is authorized per
    item action, so `TransactWriteItems` needs the Put/Update/Delete it contains, nothing more.
    `conditions` narrow it further (fine-grained access: `dynamodb:LeadingKeys`, `dynamodb:Attributes`)."""
    resources = [table.table_arn]
    if index:
        resources.append(f"{table.table_arn}/index/{index}")
    function.add_to_role_policy(
        iam.PolicyStatement(
            actions=sorted(actions), resources=resources, conditions=dict(conditions) if conditions else None
        )
    )
    if table.encryption_key is not None:
        writes = not set(actions) <= READ_ACTIONS
        table.encryption_key.grant(function, *(WRITE_KMS if writes else READ_KMS))


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
