"""The provisioner reports what it cannot emulate by name instead of quietly faking it."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from local.provision import Provisioner
from local.template import Template


def test_an_unknown_resource_type_is_reported_by_name(caplog: pytest.LogCaptureFixture) -> None:
    template = Template(
        {
            "Resources": {
                "Mystery": {"Type": "AWS::Nimble::Studio", "Properties": {}},
                "Role": {"Type": "AWS::IAM::Role", "Properties": {}},  # not needed locally
                "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},  # emulated by the runtime
            }
        },
        "Commerce-test",
    )
    provisioner = Provisioner(template, None)

    with caplog.at_level(logging.WARNING, logger="local.provision"):
        physical = provisioner.provision_all()

    assert provisioner.unknown == ["Mystery (AWS::Nimble::Studio)"]
    assert "Mystery (AWS::Nimble::Studio)" in caplog.text
    assert set(physical) == {"Mystery", "Role", "Fn"}  # references to it still resolve


def test_the_bus_archive_is_provisioned_and_replays_locally() -> None:
    """docs/runbook.md's replay runs against `make dev`: the template's archive exists in the
    stand-in and a replay of it reaches the bus (it was skipped before: nothing to replay)."""
    from datetime import UTC, datetime, timedelta

    import boto3
    from moto import mock_aws

    template = Template(
        {
            "Resources": {
                "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "commerce-test"}},
                "Archive": {
                    "Type": "AWS::Events::Archive",
                    "Properties": {
                        "ArchiveName": "commerce-test-all",
                        "SourceArn": {"Fn::GetAtt": ["Bus", "Arn"]},
                        "EventPattern": {"account": [{"Ref": "AWS::AccountId"}]},
                        "RetentionDays": 14,
                    },
                },
            }
        },
        "Commerce-test",
    )
    with mock_aws():
        events = boto3.client("events", region_name="us-east-1")
        clients: Any = {"events": events}.__getitem__  # stands in for local.moto_server.Clients
        physical = Provisioner(template, clients).provision_all()
        archive = events.describe_archive(ArchiveName="commerce-test-all")
        assert archive["State"] == "ENABLED"
        assert archive["EventSourceArn"] == physical["Bus"].attrs["Arn"]
        assert physical["Archive"].attrs["Arn"] == archive["ArchiveArn"]
        now = datetime.now(UTC)
        replay = events.start_replay(
            ReplayName="drill",
            EventSourceArn=archive["ArchiveArn"],
            EventStartTime=now - timedelta(hours=1),
            EventEndTime=now,
            Destination={"Arn": physical["Bus"].attrs["Arn"]},
        )
        assert replay["State"] == "STARTING"
