"""`make redrive`: messages move from a DLQ back to their source queue, none lost."""

from __future__ import annotations

import json

import boto3
import pytest

from tools.redrive import main, redrive, source_queue

pytestmark = pytest.mark.usefixtures("aws")


def queues_with_dlq() -> tuple[str, str]:
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    source = sqs.create_queue(
        QueueName="orders-queue",
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})},
    )["QueueUrl"]
    return source, dlq


def bodies(url: str) -> list[str]:
    sqs = boto3.client("sqs")
    out: list[str] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        out.extend(m["Body"] for m in batch)
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
        )
    return out


def test_redrive_moves_every_message_back_to_the_source_queue() -> None:
    source, dlq = queues_with_dlq()
    sqs = boto3.client("sqs")
    for n in range(23):
        sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"n": n}))

    assert source_queue(sqs, dlq) == source
    assert redrive(sqs, dlq, source) == 23

    assert sorted(json.loads(b)["n"] for b in bodies(source)) == list(range(23))
    assert bodies(dlq) == []


def test_redrive_honours_a_limit_and_an_explicit_destination(capsys: pytest.CaptureFixture[str]) -> None:
    _, dlq = queues_with_dlq()
    sqs = boto3.client("sqs")
    other = sqs.create_queue(QueueName="consumer-queue")["QueueUrl"]
    for n in range(5):
        sqs.send_message(QueueUrl=dlq, MessageBody=str(n))

    assert main(["orders-dlq", "--to", "consumer-queue", "--max", "3"]) == 0

    assert "moved 3 message(s)" in capsys.readouterr().out
    assert len(bodies(other)) == 3
    assert len(bodies(dlq)) == 2
