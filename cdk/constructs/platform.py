"""The platform shared by every service: encryption key, layers, event bus, API and alarm topic."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk.config import POWERTOOLS_LAYER_VERSION, ROOT, StageConfig
from cdk.constructs.api import Api
from cdk.constructs.bus import Bus
from cdk.constructs.code import code_asset

FUNCTIONS_DIR = ROOT / "functions"


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
        for service in ("events.amazonaws.com", "sns.amazonaws.com", "cloudwatch.amazonaws.com"):
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal(service)],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],
                    conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
                )
            )

        self.alarm_topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"Commerce {config.stage} alarms",
            master_key=self.key,
            enforce_ssl=True,
        )

        self.powertools_layer = lambda_.LayerVersion.from_layer_version_arn(
            self,
            "PowertoolsLayer",
            f"arn:{stack.partition}:lambda:{stack.region}:017000801446:layer:"
            f"AWSLambdaPowertoolsPythonV3-python313-arm64:{POWERTOOLS_LAYER_VERSION}",
        )
        self.deps_layer = lambda_.LayerVersion(
            self,
            "DepsLayer",
            code=lambda_.Code.from_asset(str(ROOT / "layers" / "deps" / "build")),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_13],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="PyJWT, cryptography and stripe for arm64/cp313 (pip-built, no Docker)",
            removal_policy=cdk.RemovalPolicy.RETAIN if config.is_prod else cdk.RemovalPolicy.DESTROY,
        )
        self.commerce_layer = lambda_.LayerVersion(
            self,
            "CommerceLayer",
            code=code_asset(self, ROOT / "layers" / "commerce", exclude=[]),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_13],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="The commerce package: HTTP plumbing, problem+json, events, outbox",
            removal_policy=cdk.RemovalPolicy.RETAIN if config.is_prod else cdk.RemovalPolicy.DESTROY,
        )

        self.bus = Bus(self, "Bus", config=config, key=self.key)
        self.api = Api(self, "Api", config=config, key=self.key)
        self._code: dict[str, lambda_.Code] = {}

    @property
    def layers(self) -> list[lambda_.ILayerVersion]:
        return [self.powertools_layer, self.deps_layer, self.commerce_layer]

    def code_for(self, service: str) -> lambda_.Code:
        """The code asset for a service: `functions/` with every other service left out.

        One asset per service and stack, shared by all of that service's functions."""
        if service not in self._code:
            self._code[service] = _service_code(self, service)
        return self._code[service]


def _service_code(scope: Construct, service: str) -> lambda_.Code:
    others = sorted(
        entry.name
        for entry in FUNCTIONS_DIR.iterdir()
        if entry.is_dir() and entry.name not in {service, "__pycache__"}
    )
    if not (FUNCTIONS_DIR / service).is_dir():
        raise ValueError(f"no such service folder: functions/{service}")
    return code_asset(scope, FUNCTIONS_DIR, exclude=[*others, "*.md"])
