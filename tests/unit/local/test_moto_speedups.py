"""The stand-in's faster SQS and EventBridge paths answer exactly as moto's own did."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local import moto_speedups


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any]]:
    moto_speedups.install()
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1"), boto3.client("events", region_name="us-east-1")


def receive_all(sqs: Any, url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get(
        "Messages", []
    ):
        found += batch
    return found


def test_every_visible_message_is_received_once_and_counts_stay_right(aws: tuple[Any, Any]) -> None:
    sqs, _ = aws
    url = sqs.create_queue(QueueName="plain")["QueueUrl"]
    for i in range(25):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)

    received = receive_all(sqs, url)

    assert sorted(m["Body"] for m in received) == sorted(f"m{i}" for i in range(25))
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "25"
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"
    assert "ContentBasedDeduplication" not in attributes  # a standard queue's attributes, as moto lists them


def test_a_fifo_queue_still_deduplicates_on_content(aws: tuple[Any, Any]) -> None:
    sqs, _ = aws
    url = sqs.create_queue(
        QueueName="ordered.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    for _ in range(3):
        sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")

    assert [m["Body"] for m in receive_all(sqs, url)] == ["same"]


def test_events_reach_their_queue_in_eventbridge_shape(aws: tuple[Any, Any]) -> None:
    sqs, events = aws
    url = sqs.create_queue(QueueName="target")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.create_event_bus(Name="bus")
    events.put_rule(Name="rule", EventBusName="bus", EventPattern=json.dumps({"source": ["probe"]}))
    events.put_targets(Rule="rule", EventBusName="bus", Targets=[{"Id": "q", "Arn": arn}])
    for n in range(3):
        events.put_events(
            Entries=[
                {
                    "EventBusName": "bus",
                    "Source": "probe",
                    "DetailType": "Probe",
                    "Detail": json.dumps({"n": n}),
                }
            ]
        )

    bodies = [json.loads(m["Body"]) for m in receive_all(sqs, url)]

    assert sorted(b["detail"]["n"] for b in bodies) == [0, 1, 2]
    assert {(b["source"], b["detail-type"]) for b in bodies} == {("probe", "Probe")}
    assert all(b["id"] and b["time"] and b["region"] == "us-east-1" for b in bodies)
