"""One Lambda function: python3.13 on arm64, traced, JSON logs in its own encrypted log group,
its own role (no managed policies), the shared layers, and the standard Powertools settings."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.constructs.platform import Platform
from cdk.nag import acknowledge_function_role


class ServiceFunction(Construct):
    """`handler` is `<module>.<function>` inside `functions/<service>/`; `code_files` adds files from
    elsewhere in the repository to its code asset (asset-relative name → file)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        platform: Platform,
        service: str,
        handler: str,
        description: str,
        environment: dict[str, str] | None = None,
        memory_size: int = 256,
        timeout: cdk.Duration | None = None,
        code_files: dict[str, Path] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        config = platform.config
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=config.log_retention,
            removal_policy=config.removal_policy,
            encryption_key=platform.key,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{service}.{handler}",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler=f"{service}.{handler}",
            code=platform.code_for(service, code_files),
            layers=platform.layers_for(f"{service}.{handler.rpartition('.')[0]}"),
            memory_size=memory_size,
            timeout=timeout or cdk.Duration.seconds(10),
            tracing=lambda_.Tracing.ACTIVE,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            environment={
                "POWERTOOLS_SERVICE_NAME": service,
                "POWERTOOLS_METRICS_NAMESPACE": "Commerce",
                "POWERTOOLS_LOG_LEVEL": "INFO",
                # We use no pydantic plugins: skip pydantic's scan of every installed distribution's
                # entry points, which it otherwise runs at the first model build of every cold start.
                "PYDANTIC_DISABLE_PLUGINS": "__all__",
                "STAGE": config.stage,
                "APP_VERSION": config.version,
                **(environment or {}),
            },
        )
        self.log_group.grant_write(self.role)
        acknowledge_function_role(self.role)

    @property
    def timeout(self) -> cdk.Duration:
        return self.function.timeout or cdk.Duration.seconds(3)
