"""AWS Backup for every service table in prod: daily and monthly recovery points in an encrypted
vault, each copied to a vault in a second region (stage setting `backup_copy_region`), so a
regional failure does not take the backups with it. Point-in-time recovery on each table covers the
last 35 days at second granularity inside the region; the copies are what survives the region.

The vault is retained on stack deletion but deleted when the stack's *creation* rolls back
(`RetainExceptOnCreate`), and its name carries the stack's id: neither a retry after a failed first
deploy nor a later re-creation of the stack finds a leftover vault of the same name.
The copy destination (`commerce-<stage>-copies` in the copy region) is created once per account,
outside the stack (docs/runbook.md, checked by tools/preflight.py); copy and backup job failures alarm.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_backup as backup
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from constructs import Construct

from cdk.constructs.platform import Platform
from cdk.constructs.table import ServiceTable
from cdk.nag import acknowledge

DAILY_RETENTION = cdk.Duration.days(35)
MONTHLY_RETENTION = cdk.Duration.days(365)


class TableBackups(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, platform: Platform) -> None:
        super().__init__(scope, construct_id)
        config = platform.config
        stack = cdk.Stack.of(self)
        # The first 8 hex digits of the stack id's UUID: unique per stack instance, and the name
        # stays within the 50 characters a vault name may have.
        stack_uuid = cdk.Fn.select(2, cdk.Fn.split("/", stack.stack_id))
        stack_tag = cdk.Fn.select(0, cdk.Fn.split("-", stack_uuid))
        vault = backup.BackupVault(
            self,
            "Vault",
            backup_vault_name=cdk.Fn.join("-", [f"commerce-{config.stage}", stack_tag]),
            encryption_key=platform.key,
            removal_policy=cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        )
        destination: backup.IBackupVault | None = None
        if config.backup_copy_region:
            # A copy to the region the stack runs in would survive nothing: refuse to deploy there.
            cdk.CfnRule(
                self,
                "CopyRegionDiffers",
                assertions=[
                    cdk.CfnRuleAssertion(
                        assert_=cdk.Fn.condition_not(
                            cdk.Fn.condition_equals(cdk.Aws.REGION, config.backup_copy_region)
                        ),
                        assert_description=(
                            f"backupCopyRegion ({config.backup_copy_region}) must differ from the stack's "
                            "region: deploy with -c backupCopyRegion=<another region>"
                        ),
                    )
                ],
            )
            destination = backup.BackupVault.from_backup_vault_arn(
                self,
                "CopyVault",
                f"arn:{stack.partition}:backup:{config.backup_copy_region}:{stack.account}:"
                f"backup-vault:{config.backup_copy_vault_name}",
            )
        self.plan = backup.BackupPlan(self, "Plan", backup_vault=vault)
        self.plan.add_rule(
            backup.BackupPlanRule(
                rule_name="Daily",
                schedule_expression=events.Schedule.cron(hour="3", minute="0"),
                delete_after=DAILY_RETENTION,
                move_to_cold_storage_after=None,
                copy_actions=_copy_to(destination, DAILY_RETENTION),
            )
        )
        self.plan.add_rule(
            backup.BackupPlanRule(
                rule_name="Monthly",
                schedule_expression=events.Schedule.cron(day="1", hour="4", minute="0"),
                delete_after=MONTHLY_RETENTION,
                copy_actions=_copy_to(destination, MONTHLY_RETENTION),
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
        # Backup and copy jobs fail quietly unless something watches them.
        # https://docs.aws.amazon.com/aws-backup/latest/devguide/cloudwatch.html
        for metric_name in ("NumberOfBackupJobsFailed", "NumberOfCopyJobsFailed"):
            alarm = cloudwatch.Alarm(
                self,
                f"{metric_name}Alarm",
                alarm_name=f"commerce-{config.stage}-Backup-{metric_name}",
                alarm_description=f"AWS Backup: {metric_name} in this region. See docs/runbook.md.",
                metric=cloudwatch.Metric(
                    namespace="AWS/Backup",
                    metric_name=metric_name,
                    statistic="Sum",
                    period=cdk.Duration.hours(1),
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(cw_actions.SnsAction(platform.alarm_topic))


def _copy_to(
    destination: backup.IBackupVault | None, keep: cdk.Duration
) -> list[backup.BackupPlanCopyActionProps] | None:
    if destination is None:
        return None
    return [backup.BackupPlanCopyActionProps(destination_backup_vault=destination, delete_after=keep)]
