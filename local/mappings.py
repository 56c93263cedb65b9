"""Event source mappings and rule Lambda targets as the template defines them (`load_mappings`);
local.pollers runs them."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from local.functions import FunctionSpec, function_by_arn
from local.template import Resolver, Template, TemplateError

log = logging.getLogger("local.mappings")


@dataclass
class MappingSpec:
    logical_id: str
    function: FunctionSpec
    source_arn: str
    batch_size: int
    window_s: float
    report_failures: bool
    filters: list[dict[str, Any]] = field(default_factory=list)
    enabled: bool = True
    max_concurrency: int = 2
    starting_position: str = "LATEST"
    bisect: bool = False
    max_retries: int = -1
    max_record_age_s: int = -1
    on_failure_arn: str | None = None

    @property
    def kind(self) -> str:
        return self.source_arn.split(":")[2] if self.source_arn.startswith("arn:") else ""


def load_mappings(
    template: Template, resolver: Resolver, functions: dict[str, FunctionSpec]
) -> list[MappingSpec]:
    specs = []
    for resource in template.of_type("AWS::Lambda::EventSourceMapping"):
        try:
            if not resolver.is_enabled(resource):
                continue
            props = resolver.resolve(resource.properties)
        except TemplateError as exc:
            log.warning("mapping %s not run: %s", resource.logical_id, exc)
            continue
        function = function_by_arn(functions, str(props.get("FunctionName", ""))) or functions.get(
            str(props.get("FunctionName"))
        )
        if function is None:
            function = next((f for f in functions.values() if f.name == props.get("FunctionName")), None)
        if function is None:
            log.warning(
                "mapping %s: function %s is not served locally",
                resource.logical_id,
                props.get("FunctionName"),
            )
            continue
        source = str(props.get("EventSourceArn", ""))
        kind = source.split(":")[2] if source.startswith("arn:") else ""
        filters = []
        for item in (props.get("FilterCriteria") or {}).get("Filters") or []:
            pattern = item.get("Pattern")
            filters.append(json.loads(pattern) if isinstance(pattern, str) else pattern)
        destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        specs.append(
            MappingSpec(
                logical_id=resource.logical_id,
                function=function,
                source_arn=source,
                batch_size=int(props.get("BatchSize", 10 if kind == "sqs" else 100)),
                window_s=float(props.get("MaximumBatchingWindowInSeconds", 0)),
                report_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                filters=filters,
                enabled=props.get("Enabled", True) not in (False, "false"),
                max_concurrency=int((props.get("ScalingConfig") or {}).get("MaximumConcurrency", 2)),
                starting_position=str(props.get("StartingPosition", "LATEST")),
                bisect=props.get("BisectBatchOnFunctionError") in (True, "true"),
                max_retries=int(props.get("MaximumRetryAttempts", -1)),
                max_record_age_s=int(props.get("MaximumRecordAgeInSeconds", -1)),
                on_failure_arn=str(destination) if destination else None,
            )
        )
    return specs
