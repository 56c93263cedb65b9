"""Dashboards and alarms for the whole stack, built with cdk-monitoring-constructs, in a nested stack.

Everything is discovered from the construct tree (every ServiceFunction, QueueConsumer, OutboxRelay,
ServiceTable and dead-letter queue), so a new service is monitored without touching this file.
Alarms go to the encrypted alarm topic; dead-letter queues alarm on their first message.

Headroom (tests/infra/test_deploy_rules.py): CloudFormation takes at most 500 resources per stack
and CloudWatch at most 500 widgets per dashboard, so the alarms live in their own nested stack and
the detail view is three dashboards — the API and its functions, the asynchronous paths (outbox
relays, queues, consumers), and the data (tables, saga outcomes) — plus the alarm dashboards.
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


class MonitoringStack(cdk.NestedStack):
    """The nested stack that holds the dashboards and alarms of `root`."""

    def __init__(self, root: cdk.Stack, construct_id: str, *, platform: Platform) -> None:
        super().__init__(
            root, construct_id, description=f"Commerce {platform.config.stage}: dashboards, alarms"
        )
        self.monitoring = Monitoring(self, "Monitoring", platform=platform, root=root)


class Monitoring(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, platform: Platform, root: cdk.Stack) -> None:
        super().__init__(scope, construct_id)
        self.platform = platform
        stage = platform.config.stage
        self._stage = stage
        api = self._facade("Api", f"commerce-{stage}-api", alarm_dashboard=True)
        events = self._facade("Events", f"commerce-{stage}-events", alarm_dashboard=True)
        data = self._facade("Data", f"commerce-{stage}-data", alarm_dashboard=False)

        api.add_large_header(f"Commerce ({stage}): API")
        api.monitor_api_gateway(
            api=platform.api.rest_api,
            api_stage=platform.api.rest_api.deployment_stage.stage_name,
            human_readable_name="Public API",
            alarm_friendly_name="Api",
            add5_xx_fault_rate_alarm={"Critical": mc.ErrorRateThreshold(max_error_rate=0.01)},
            add_latency_p99_alarm={"Warning": mc.LatencyThreshold(max_latency=cdk.Duration.seconds(2))},
            add_latency_p50_alarm={"Warning": mc.LatencyThreshold(max_latency=cdk.Duration.millis(500))},
        )
        events.add_large_header(f"Commerce ({stage}): events")
        data.add_large_header(f"Commerce ({stage}): data")
        consumers: set[int] = set()  # ids of the functions shown with the events
        for node in root.node.find_all():
            if isinstance(node, OutboxRelay):
                consumers.add(id(node.handler))
                events.monitor_lambda_function(
                    lambda_function=node.handler.function,
                    human_readable_name=f"Outbox relay {_name(node)}",
                    alarm_friendly_name=_name(node),
                    is_iterator=True,
                    add_max_iterator_age_alarm={"Warning": mc.MaxAgeThreshold(max_age_in_millis=60_000)},
                    add_throttles_count_alarm={"Warning": mc.ErrorCountThreshold(max_error_count=1)},
                    add_fault_count_alarm={"Warning": mc.ErrorCountThreshold(max_error_count=1)},
                )
            elif isinstance(node, QueueConsumer):
                consumers.add(id(node.handler))
                events.monitor_sqs_queue_with_dlq(
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
            # (API 5xx/latency, dead-letter queues, iterator age) and throttles alarm stack-wide.
            if isinstance(node, ServiceFunction) and not isinstance(node.node.scope, OutboxRelay):
                facade = events if id(node) in consumers else api
                facade.monitor_lambda_function(
                    lambda_function=node.function,
                    human_readable_name=_name(node),
                    alarm_friendly_name=_name(node),
                )
            elif isinstance(node, ServiceTable):
                data.monitor_dynamo_table(
                    table=node.table, human_readable_name=_name(node), alarm_friendly_name=_name(node)
                )
        for dead_letters in platform.dead_letter_queues:
            self._alarm(
                f"{_name(dead_letters.queue)}Alarm",
                description=(
                    f"A message reached the dead-letter queue: {dead_letters.purpose}. See docs/runbook.md."
                ),
                metric=dead_letters.queue.metric_approximate_number_of_messages_visible(
                    period=cdk.Duration.minutes(1)
                ),
            )
        self._alarm(
            "ThrottlesAlarm",
            name=f"commerce-{stage}-Lambda-Throttled-Count-Warning",
            description="A Lambda function in this account/region was throttled. See docs/runbook.md.",
            metric=cloudwatch.Metric(
                namespace="AWS/Lambda",
                metric_name="Throttles",
                statistic="Sum",
                period=cdk.Duration.minutes(1),
            ),
        )
        data.monitor_custom(
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

    def _facade(self, construct_id: str, prefix: str, *, alarm_dashboard: bool) -> mc.MonitoringFacade:
        return mc.MonitoringFacade(
            self,
            construct_id,
            alarm_factory_defaults=mc.AlarmFactoryDefaults(
                alarm_name_prefix=f"commerce-{self._stage}",
                actions_enabled=True,
                action=mc.SnsAlarmActionStrategy(on_alarm_topic=self.platform.alarm_topic),
                runbook_link="docs/runbook.md#alarms",
            ),
            metric_factory_defaults=mc.MetricFactoryDefaults(namespace="Commerce"),
            dashboard_factory=mc.DefaultDashboardFactory(
                self,
                f"{construct_id}Dashboards",
                dashboard_name_prefix=prefix,
                create_dashboard=True,
                create_alarm_dashboard=alarm_dashboard,
                create_summary_dashboard=False,
            ),
        )

    def _alarm(
        self, construct_id: str, *, description: str, metric: cloudwatch.IMetric, name: str | None = None
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_name=name,
            alarm_description=description,
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.platform.alarm_topic))
