"""Publishes every event's JSON Schema (generated from the pydantic models) to an EventBridge
schema registry, so consumers outside this repository discover the contract from AWS itself."""

from __future__ import annotations

import json

from aws_cdk import aws_eventschemas as eventschemas
from constructs import Construct

from cdk.config import StageConfig
from commerce.events import EVENTS
from commerce.schemas import detail_schema


class EventSchemaRegistry(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.registry = eventschemas.CfnRegistry(
            self,
            "Registry",
            registry_name=f"commerce-{config.stage}",
            description="Commerce domain events (generated from commerce.events)",
        )
        for detail_type, (source, _model) in EVENTS.items():
            eventschemas.CfnSchema(
                self,
                detail_type,
                registry_name=self.registry.attr_registry_name,
                schema_name=f"{source}@{detail_type}",
                type="JSONSchemaDraft4",
                content=json.dumps(detail_schema(detail_type), sort_keys=True),
                description=f"{detail_type} published by {source}",
            )
