"""The platform shared by every service: encryption key, layers, event bus, API and alarm topic."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk.config import ROOT, StageConfig
from cdk.constructs.api import Api
from cdk.constructs.bus import Bus
from cdk.constructs.code import code_asset
from cdk.deps_layers import BUILD_DIR, GROUPS, groups_for

FUNCTIONS_DIR = ROOT / "functions"


@dataclass(frozen=True)
class DeadLetters:
    """A dead-letter queue and what it is for (cdk/constructs/monitoring.py alarms on each)."""

    queue: sqs.Queue
    purpose: str


class Platform(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        stack = cdk.Stack.of(self)

        self.key = kms.Key(
            self,
            "DataKey",
            description=f"Commerce {config.stage}: tables, queues, bus, logs and alarm topic",
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
            pending_window=cdk.Duration.days(7 if not config.is_prod else 30),
        )
        # Services that write to our encrypted resources on our behalf.
        log_groups_arn = f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:*"
        alarms_arn = f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*"
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups_arn}},
            )
        )
        # Every service principal is scoped to the resource it acts for (confused-deputy guard).
        self.bus_name = f"commerce-{config.stage}"
        bus_arn = f"arn:{stack.partition}:events:{stack.region}:{stack.account}:event-bus/{self.bus_name}"
        # The bus and its archive encrypt events under this key, bound to the bus ARN.
        # https://docs.aws.amazon.com/eventbridge/latest/userguide/encryption-archives.html
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EventBridgeBusAndArchive",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                resources=["*"],
                conditions={"StringEquals": {"kms:EncryptionContext:aws:events:event-bus:arn": bus_arn}},
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EventBridgeDescribeKey",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:DescribeKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        # Rules on our bus deliver to KMS-encrypted queues: SQS uses the key for the rule.
        # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EventBridgeRulesToEncryptedQueues",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{stack.partition}:events:{stack.region}:{stack.account}:"
                        f"rule/{self.bus_name}/*"
                    }
                },
            )
        )
        # CloudWatch alarms publish to the encrypted alarm topic.
        # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsToEncryptedTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"ArnLike": {"aws:SourceArn": alarms_arn}},
            )
        )

        self.alarm_topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"Commerce {config.stage} alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        # A topic policy replaces SNS's default one, which is what lets CloudWatch publish: the
        # TLS-only policy must say so itself, or every alarm action fails silently.
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-actions.html
        self.alarm_topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.alarm_topic.topic_arn],
                conditions={
                    "ArnLike": {"aws:SourceArn": alarms_arn},
                    "StringEquals": {"aws:SourceAccount": stack.account},
                },
            )
        )

        # Powertools, pydantic and the X-Ray SDK come from our own deps layers, pinned in
        # layers/deps/requirements.txt (which requirements.txt includes): the deployed version is
        # the tested one, which a managed layer's version number cannot promise. One layer per
        # dependency group (cdk/deps_layers.py); each function gets the groups its code imports.
        self.deps_layers: dict[str, lambda_.LayerVersion] = {
            group: lambda_.LayerVersion(
                self,
                "DepsLayer" if group == "core" else f"Deps{group.capitalize()}Layer",
                code=lambda_.Code.from_asset(str(BUILD_DIR / group)),
                compatible_runtimes=[lambda_.Runtime.PYTHON_3_13],
                compatible_architectures=[lambda_.Architecture.ARM_64],
                description=f"{', '.join(GROUPS[group])} and what they need, for arm64/cp313 (pip-built)",
                removal_policy=cdk.RemovalPolicy.RETAIN if config.is_prod else cdk.RemovalPolicy.DESTROY,
            )
            for group in GROUPS
        }
        self.commerce_layer = lambda_.LayerVersion(
            self,
            "CommerceLayer",
            code=code_asset(self, ROOT / "layers" / "commerce", exclude=[]),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_13],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="The commerce package: HTTP plumbing, problem+json, events, outbox",
            removal_policy=cdk.RemovalPolicy.RETAIN if config.is_prod else cdk.RemovalPolicy.DESTROY,
        )

        self.bus = Bus(self, "Bus", config=config, key=self.key, name=self.bus_name)
        self.api = Api(self, "Api", config=config, key=self.key)
        self._code: dict[tuple[str, tuple[tuple[str, Path], ...]], lambda_.Code] = {}
        self.dead_letter_queues: list[DeadLetters] = []  # each alarms on its first message

    def layers_for(self, handler_module: str) -> list[lambda_.ILayerVersion]:
        """The dependency layers `handler_module` (`<service>.<module>`) imports, then ours."""
        return [*(self.deps_layers[group] for group in groups_for(handler_module)), self.commerce_layer]

    def code_for(self, service: str, files: dict[str, Path] | None = None) -> lambda_.Code:
        """The code asset for a service: `functions/` with every other service left out, plus `files`
        (asset-relative name → file from elsewhere in the repository).

        One asset per service, set of files and stack, shared by the functions that use it."""
        key = (service, tuple(sorted((files or {}).items())))
        if key not in self._code:
            self._code[key] = _service_code(self, service, files or {})
        return self._code[key]


def _service_code(scope: Construct, service: str, files: dict[str, Path]) -> lambda_.Code:
    others = sorted(
        entry.name
        for entry in FUNCTIONS_DIR.iterdir()
        if entry.is_dir() and entry.name not in {service, "__pycache__"}
    )
    if not (FUNCTIONS_DIR / service).is_dir():
        raise ValueError(f"no such service folder: functions/{service}")
    return code_asset(scope, FUNCTIONS_DIR, exclude=[*others, "*.md"], files=files)
