"""Integration tests: handlers driven with real event shapes against in-process moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from commerce import aws as aws_clients
from commerce import parameters
from commerce.aws import client


@pytest.fixture
def aws() -> Iterator[None]:
    """A fresh in-process AWS; the process-wide clients, session and cached parameters are reset."""
    aws_clients.clear()
    parameters.clear()
    with mock_aws():
        yield
    aws_clients.clear()
    parameters.clear()


def create_service_table(name: str, indexes: tuple[tuple[str, str, str | None], ...] = ()) -> str:
    """A table shaped like cdk/constructs/table.py makes them (pk/sk, stream, GSIs)."""
    attributes = {"pk", "sk"}
    gsis: list[dict[str, Any]] = []
    for index_name, partition, sort in indexes:
        attributes.add(partition)
        schema = [{"AttributeName": partition, "KeyType": "HASH"}]
        if sort:
            attributes.add(sort)
            schema.append({"AttributeName": sort, "KeyType": "RANGE"})
        gsis.append({"IndexName": index_name, "KeySchema": schema, "Projection": {"ProjectionType": "ALL"}})
    kwargs: dict[str, Any] = {}
    if gsis:
        kwargs["GlobalSecondaryIndexes"] = gsis
    client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        **kwargs,
    )
    return name


def stream_records(table_name: str) -> list[dict[str, Any]]:
    """Every record currently on the table's stream, shaped as Lambda delivers them."""
    streams = client("dynamodbstreams")
    arn = client("dynamodb").describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for record in streams.get_records(ShardIterator=iterator)["Records"]:
            record["eventSourceARN"] = arn
            records.append(record)
    return records


def bus_with_capture_queue(bus_name: str = "commerce-test") -> str:
    """An event bus whose every event is copied to an SQS queue; returns the queue URL."""
    events, sqs = client("events"), client("sqs")
    events.create_event_bus(Name=bus_name)
    queue_url = sqs.create_queue(QueueName=f"{bus_name}-capture")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="capture", EventBusName=bus_name, EventPattern='{"source":[{"prefix":""}]}')
    events.put_targets(Rule="capture", EventBusName=bus_name, Targets=[{"Id": "q", "Arn": queue_arn}])
    return queue_url


def drain(queue_url: str) -> list[dict[str, Any]]:
    import json

    messages: list[dict[str, Any]] = []
    while True:
        batch = client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return messages
        for message in batch:
            messages.append(json.loads(message["Body"]))
            client("sqs").delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
