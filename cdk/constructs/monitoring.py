"""Dashboard and alarms for the whole stack, built with cdk-monitoring-constructs.

Everything is discovered from the construct tree (every ServiceFunction, QueueConsumer, OutboxRelay
and ServiceTable), so a new service is monitored without touching this file. Alarms go to the
encrypted alarm topic; dead-letter queues alarm on their first message (cdk/constructs/queues.py).
"""

from __future__ import annotations

import aws_cdk as cdk
import cdk_monitoring_constructs as mc
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from constructs import Construct

from cdk.constructs.function import ServiceFunction
from cdk.constructs.outbox_relay import OutboxRelay
from cdk.constructs.platform import Platform
from cdk.constructs.queue_consumer import QueueConsumer
from cdk.constructs.table import ServiceTable

#: Business metrics (Powertools EMF, namespace Commerce, dimension service) shown as saga outcomes.
SAGA_METRICS = (
    ("OrdersPlaced", "orders"),
    ("OrdersConfirmed", "orders"),
    ("OrdersRejected", "orders"),
    ("OrdersCancelled", "orders"),
    ("OrdersShipped", "orders"),
    ("PaymentsFailed", "payments"),
)


def _name(construct: Construct) -> str:
    """A readable, unique alarm name part from the construct path (stack name dropped)."""
    parts = construct.node.path.split("/")[1:]
    return "-".join(
        part for part in parts if part not in {"Consumer", "Function", "Handler", "Relay", "Table"}
    )


class Monitoring(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, platform: Platform) -> None:
        super().__init__(scope, construct_id)
        stage = platform.config.stage
        self.facade = mc.MonitoringFacade(
            self,
            "Facade",
            alarm_factory_defaults=mc.AlarmFactoryDefaults(
                alarm_name_prefix=f"commerce-{stage}",
                actions_enabled=True,
                action=mc.SnsAlarmActionStrategy(on_alarm_topic=platform.alarm_topic),
                runbook_link="docs/runbook.md#alarms",
            ),
            metric_factory_defaults=mc.MetricFactoryDefaults(namespace="Commerce"),
            dashboard_factory=mc.DefaultDashboardFactory(
                self,
                "Dashboards",
                dashboard_name_prefix=f"commerce-{stage}",
                create_dashboard=True,
                create_alarm_dashboard=True,
                create_summary_dashboard=False,
            ),
        )
        self.facade.add_large_header(f"Commerce ({stage})")
        self.facade.monitor_api_gateway(
            api=platform.api.rest_api,
            api_stage=platform.api.rest_api.deployment_stage.stage_name,
            human_readable_name="Public API",
            alarm_friendly_name="Api",
            add5_xx_fault_rate_alarm={"Critical": mc.ErrorRateThreshold(max_error_rate=0.01)},
            add_latency_p99_alarm={"Warning": mc.LatencyThreshold(max_latency=cdk.Duration.seconds(2))},
            add_latency_p50_alarm={"Warning": mc.LatencyThreshold(max_latency=cdk.Duration.millis(500))},
        )
        root = cdk.Stack.of(self)
        for node in root.node.find_all():
            if isinstance(node, OutboxRelay):
                self.facade.monitor_lambda_function(
                    lambda_function=node.handler.function,
                    human_readable_name=f"Outbox relay {_name(node)}",
                    alarm_friendly_name=_name(node),
                    is_iterator=True,
                    add_max_iterator_age_alarm={"Warning": mc.MaxAgeThreshold(max_age_in_millis=60_000)},
                    add_throttles_count_alarm={"Warning": mc.ErrorCountThreshold(max_error_count=1)},
                    add_fault_count_alarm={"Warning": mc.ErrorCountThreshold(max_error_count=1)},
                )
            elif isinstance(node, QueueConsumer):
                self.facade.monitor_sqs_queue_with_dlq(
                    queue=node.queue,
                    dead_letter_queue=node.dead_letters,
                    human_readable_name=_name(node),
                    alarm_friendly_name=f"{_name(node)}-Queue",
                    add_queue_max_message_age_alarm={
                        "Warning": mc.MaxMessageAgeThreshold(max_age_in_seconds=300)
                    },
                )
        for node in root.node.find_all():
            # Functions and tables get dashboard widgets; their failures alarm where they surface
            # (API 5xx/latency, dead-letter queues, iterator age) and throttles alarm stack-wide
            # below, which keeps the stack well under CloudFormation's 500-resource limit.
            if isinstance(node, ServiceFunction) and not isinstance(node.node.scope, OutboxRelay):
                self.facade.monitor_lambda_function(
                    lambda_function=node.function,
                    human_readable_name=_name(node),
                    alarm_friendly_name=_name(node),
                )
            elif isinstance(node, ServiceTable):
                self.facade.monitor_dynamo_table(
                    table=node.table, human_readable_name=_name(node), alarm_friendly_name=_name(node)
                )
        throttles = cloudwatch.Alarm(
            self,
            "ThrottlesAlarm",
            alarm_name=f"commerce-{stage}-Lambda-Throttled-Count-Warning",
            alarm_description="A Lambda function in this account/region was throttled. See docs/runbook.md.",
            metric=cloudwatch.Metric(
                namespace="AWS/Lambda",
                metric_name="Throttles",
                statistic="Sum",
                period=cdk.Duration.minutes(1),
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        throttles.add_alarm_action(cw_actions.SnsAction(platform.alarm_topic))
        self.facade.monitor_custom(
            human_readable_name="Saga outcomes",
            alarm_friendly_name="Saga",
            metric_groups=[
                mc.CustomMetricGroup(
                    title="Orders by outcome (count / 5 min)",
                    metrics=[
                        cloudwatch.Metric(
                            namespace="Commerce",
                            metric_name=name,
                            statistic="Sum",
                            period=cdk.Duration.minutes(5),
                            dimensions_map={"service": service},
                        )
                        for name, service in SAGA_METRICS
                    ],
                )
            ],
        )
