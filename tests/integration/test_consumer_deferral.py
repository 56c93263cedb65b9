"""A consumer defers a throttled message instead of spending its receives (commerce.consumer), against
moto's SQS: throttling by DynamoDB (directly, or under Powertools Idempotency's wrapper), a provider's
`RateLimited`, each sends the message again to its own queue with a delay and a `deferrals` count,
and acknowledges the original; any other failure is a batch item failure, as before."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyPersistenceLayerError
from botocore.exceptions import ClientError

from commerce.aws import client
from commerce.consumer import DEFERRALS_ATTRIBUTE, consume
from commerce.errors import RateLimited
from commerce.events import envelope, new_metadata
from tests.conftest import FakeLambdaContext


def _throttled_write() -> ClientError:
    # DynamoDB's answer over a partition's rate; the SDK raises it once its own retries are spent.
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/throttling-key-range-limit-exceeded-mitigation.html
    return ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "hot key"}}, "PutItem"
    )


def _wrapped_by_idempotency() -> Exception:
    try:
        raise IdempotencyPersistenceLayerError("Failed to save in progress record", _throttled_write()) from (
            _throttled_write()
        )
    except IdempotencyPersistenceLayerError as error:
        return error


FAILURES = {
    "dynamodb throttling": _throttled_write,
    "throttling under Powertools Idempotency": _wrapped_by_idempotency,
    "a provider's rate limit": lambda: RateLimited("Stripe said 429", retry_after_seconds=2),
}


def _record(queue_url: str, deferrals: int = 0) -> dict[str, Any]:
    body = {
        "version": "0",
        "id": "e-1",
        "detail-type": "StockReplenished",
        "source": "warehouse",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": envelope({"productId": "p-1", "quantity": 3}, new_metadata("corr-1", "evt-1")),
    }
    attributes = (
        {DEFERRALS_ATTRIBUTE: {"stringValue": str(deferrals), "dataType": "Number"}} if deferrals else {}
    )
    return {
        "messageId": "m-1",
        "receiptHandle": "r-1",
        "body": json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": attributes,
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:consumer",
        "awsRegion": "us-east-1",
    }


@pytest.fixture
def queue(aws: None, monkeypatch: pytest.MonkeyPatch) -> str:
    url = str(client("sqs").create_queue(QueueName="consumer")["QueueUrl"])
    monkeypatch.setenv("QUEUE_URL", url)
    return url


def _waiting(queue_url: str) -> list[dict[str, Any]]:
    sqs = client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )
    assert int(attributes["Attributes"]["ApproximateNumberOfMessagesDelayed"]) >= 0
    messages = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
    ).get("Messages", [])
    return messages


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_throttled_message_is_deferred_not_failed(
    queue: str, lambda_context: FakeLambdaContext, failure: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import commerce.consumer as consumer

    monkeypatch.setattr(consumer, "deferral_delay", lambda deferrals: 0)  # receive it at once below

    def handle(_: Any) -> None:
        raise FAILURES[failure]()

    answer = consume({"Records": [_record(queue, deferrals=2)]}, lambda_context, handle)

    assert answer["batchItemFailures"] == []  # acknowledged: its receives are not spent
    [again] = _waiting(queue)
    assert json.loads(again["Body"])["detail"]["metadata"]["eventId"] == "evt-1"
    assert again["MessageAttributes"][DEFERRALS_ATTRIBUTE]["StringValue"] == "3"


def test_any_other_failure_is_a_batch_item_failure(queue: str, lambda_context: FakeLambdaContext) -> None:
    def handle(_: Any) -> None:
        raise ClientError({"Error": {"Code": "ValidationException", "Message": "bad"}}, "PutItem")

    answer = consume({"Records": [_record(queue)]}, lambda_context, handle)

    assert answer["batchItemFailures"] == [{"itemIdentifier": "m-1"}]
    assert _waiting(queue) == []


def test_the_deferral_delay_grows_to_sqs_longest() -> None:
    from commerce.consumer import DEFERRAL_CAP_SECONDS, deferral_delay

    assert [deferral_delay(n) <= 2 ** (n - 1) for n in range(1, 8)] == [True] * 7
    assert deferral_delay(1) >= 1
    assert max(deferral_delay(40) for _ in range(20)) <= DEFERRAL_CAP_SECONDS
