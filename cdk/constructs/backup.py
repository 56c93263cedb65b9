"""AWS Backup for every service table in prod: a daily plan with retention, in an encrypted vault.
(Point-in-time recovery on each table covers the last 35 days at second granularity; the daily
backups are the longer-lived, separately-stored copies.)"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_backup as backup
from aws_cdk import aws_events as events
from constructs import Construct

from cdk.constructs.platform import Platform
from cdk.constructs.table import ServiceTable
from cdk.nag import acknowledge


class TableBackups(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, platform: Platform) -> None:
        super().__init__(scope, construct_id)
        vault = backup.BackupVault(
            self,
            "Vault",
            encryption_key=platform.key,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.plan = backup.BackupPlan(self, "Plan", backup_vault=vault)
        self.plan.add_rule(
            backup.BackupPlanRule(
                rule_name="Daily",
                schedule_expression=events.Schedule.cron(hour="3", minute="0"),
                delete_after=cdk.Duration.days(35),
                move_to_cold_storage_after=None,
            )
        )
        self.plan.add_rule(
            backup.BackupPlanRule(
                rule_name="Monthly",
                schedule_expression=events.Schedule.cron(day="1", hour="4", minute="0"),
                delete_after=cdk.Duration.days(365),
            )
        )
        tables = [node.table for node in cdk.Stack.of(self).node.find_all() if isinstance(node, ServiceTable)]
        if tables:
            selection = self.plan.add_selection(
                "Tables", resources=[backup.BackupResource.from_dynamo_db_table(table) for table in tables]
            )
            acknowledge(
                selection,
                [
                    (
                        "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                        "service-role/AWSBackupServiceRolePolicyForBackup]",
                        "AWS Backup's own service-role policy is the documented, AWS-maintained minimum "
                        "for backing up DynamoDB tables; it is attached to a role only AWS Backup assumes.",
                    )
                ],
            )
