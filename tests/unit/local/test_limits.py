"""The stand-in's opt-in limits answer as DynamoDB and EventBridge do when a rate is exceeded, and
only when they are on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from local import limits
from local.limits import Limits, LimitsError, TokenBucket

TABLE = "limits-probe"
#: One request at a time, no SDK retries: each call shows exactly what the stand-in answered.
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


class Clock:
    """Time stands still unless a test moves it: buckets refill only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def aws(clock: Clock) -> Iterator[Any]:
    """In-process moto with a table (pk/sk, a GSI on gsi1pk), limits installed by the test."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1", config=NO_RETRIES)
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "gsi1pk")
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "gsi1",
                    "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client
    limits.uninstall()


def on(clock: Clock, scale: float) -> None:
    limits.install(Limits(scale=scale), clock=clock)


def key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "A"}}


def put(client: Any, pk: str, **extra: Any) -> None:
    client.put_item(TableName=TABLE, Item={**key(pk), **{k: {"S": v} for k, v in extra.items()}})


def code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def test_limits_spec_parses_the_scale_and_switches() -> None:
    assert Limits.parse("scale=0.01") == Limits(scale=0.01)
    assert Limits.parse("scale=0.5, stripe=test, events=off") == Limits(
        scale=0.5, events=False, stripe="test"
    )
    for bad in (
        "scale",
        "scale=0",
        "scale=2",
        "speed=1",
        "scale=0.1,stripe=fast",
        "scale=x",
        "stripe_scale=3",
    ):
        with pytest.raises(LimitsError):
            Limits.parse(bad)


def test_stripe_limits_follow_the_scale_unless_given_their_own() -> None:
    same = Limits.parse("scale=0.01").stripe_limits
    assert same is not None
    assert (same.operations_per_second, same.endpoint_requests_per_second) == pytest.approx((1.0, 0.25))
    own = Limits.parse("scale=0.0001,stripe_scale=0.004").stripe_limits
    assert own is not None
    assert (own.operations_per_second, own.endpoint_requests_per_second) == pytest.approx((0.4, 0.1))
    assert Limits.parse("scale=0.0001,stripe_scale=0.004").rate(1_000) == pytest.approx(0.1)


def test_token_bucket_holds_one_second_and_refills_with_time(clock: Clock) -> None:
    bucket = TokenBucket(10, clock)
    assert bucket.has(10)
    bucket.take(10)
    assert not bucket.has(1)
    clock.now += 0.25
    assert bucket.has(2.5)
    clock.now += 60
    assert bucket.has(10)
    assert bucket.tokens == 10


def test_a_request_may_overdraw_the_bucket_and_the_overdraft_is_paid_back_first(clock: Clock) -> None:
    bucket = TokenBucket(4, clock)  # e.g. a table at 4 WCU/s and a 6 WCU transaction
    assert bucket.has(6)
    bucket.take(6)
    assert not bucket.has(1)
    clock.now += 0.5  # back to 0: still nothing to give
    assert not bucket.has(1)
    clock.now += 0.01
    assert bucket.has(1)


def test_small_requests_cannot_starve_a_large_one(clock: Clock) -> None:
    # Small writes arriving whenever a unit is back, a transaction larger than the bucket waiting
    # its turn: over 30 s the transaction gets in, and the rate admitted stays the bucket's.
    bucket = TokenBucket(4, clock)
    large_in, admitted = False, 0.0
    for _ in range(300):
        clock.now += 0.1
        if not large_in and bucket.has(6):
            bucket.take(6)
            large_in, admitted = True, admitted + 6
        if bucket.has(1):
            bucket.take(1)
            admitted += 1
    assert large_in
    assert admitted <= 4 * 30 + 4 + 6  # the rate, one second's burst and one overdraft


def test_limits_off_nothing_is_throttled(aws: Any) -> None:
    for _ in range(50):
        put(aws, "hot")
    assert aws.get_item(TableName=TABLE, Key=key("hot"))["Item"]


def test_a_partition_over_its_write_rate_answers_provisioned_throughput_exceeded(
    aws: Any, clock: Clock
) -> None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/throttling-key-range-limit-exceeded-mitigation.html
    on(clock, scale=0.002)  # 1,000 WCU/s per partition -> 2 a second
    put(aws, "hot")
    put(aws, "hot")
    with pytest.raises(ClientError) as raised:
        put(aws, "hot")
    assert code(raised.value) == "ProvisionedThroughputExceededException"
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ThrottlingReason.html
    [reason] = raised.value.response["ThrottlingReasons"]
    assert reason == {
        "reason": "TableWriteKeyRangeThroughputExceeded",
        "resource": f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}",
    }
    put(aws, "cold")  # another partition has its own capacity
    clock.now += 0.5  # one write unit back
    put(aws, "hot")


def test_reads_and_writes_are_limited_independently_and_eventually_consistent_reads_cost_half(
    aws: Any, clock: Clock
) -> None:
    put(aws, "hot")
    on(clock, scale=1 / 3000)  # 3,000 RCU/s per partition -> 1 a second; writes 1/3 a second
    aws.get_item(TableName=TABLE, Key=key("hot"))
    aws.get_item(TableName=TABLE, Key=key("hot"))  # two eventually consistent reads = 1 unit
    with pytest.raises(ClientError) as raised:
        aws.get_item(TableName=TABLE, Key=key("hot"), ConsistentRead=True)
    assert raised.value.response["ThrottlingReasons"][0]["reason"] == "TableReadKeyRangeThroughputExceeded"
    put(aws, "hot")  # the partition's write capacity is untouched by its reads


def test_the_sdk_retries_a_throttled_request_before_giving_up(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore's standard retry mode treats the exception as throttling: the real retry path runs."""
    import botocore.endpoint

    waits: list[float] = []
    monkeypatch.setattr(botocore.endpoint.time, "sleep", waits.append)  # the backoff, not the clock
    with mock_aws():
        client = boto3.client(
            "dynamodb",
            region_name="us-east-1",
            config=Config(retries={"total_max_attempts": 3, "mode": "standard"}),
        )
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        on(clock, scale=0.001)
        before = limits.RECORDER.counts[("dynamodb", "TableWriteKeyRangeThroughputExceeded")]
        client.put_item(TableName=TABLE, Item={"pk": {"S": "hot"}})
        with pytest.raises(ClientError) as raised:
            client.put_item(TableName=TABLE, Item={"pk": {"S": "hot"}})
        limits.uninstall()
    assert code(raised.value) == "ProvisionedThroughputExceededException"
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    assert limits.RECORDER.counts[("dynamodb", "TableWriteKeyRangeThroughputExceeded")] - before == 3
    assert len(waits) == 2
    assert all(wait > 0 for wait in waits)


def test_a_throttled_transaction_is_cancelled_with_throttling_error_and_writes_nothing(
    aws: Any, clock: Clock
) -> None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
    # (CancellationReasons: "ThrottlingError" when writes are throttled on an on-demand table)
    put(aws, "hot")
    on(clock, scale=0.002)  # a transactional write costs 2 units: one per second on a partition
    transaction = [
        {"Put": {"TableName": TABLE, "Item": key("order-1")}},
        {
            "Update": {
                "TableName": TABLE,
                "Key": key("hot"),
                "UpdateExpression": "SET n = :n",
                "ExpressionAttributeValues": {":n": {"N": "1"}},
            }
        },
    ]
    aws.transact_write_items(TransactItems=transaction)
    transaction[0]["Put"]["Item"] = key("order-2")
    with pytest.raises(ClientError) as raised:
        aws.transact_write_items(TransactItems=transaction)
    assert code(raised.value) == "TransactionCanceledException"
    assert [r["Code"] for r in raised.value.response["CancellationReasons"]] == ["None", "ThrottlingError"]
    assert "Item" not in aws.get_item(TableName=TABLE, Key=key("order-2"))


def test_a_batch_returns_throttled_keys_unprocessed_and_fails_only_when_nothing_was_served(
    aws: Any, clock: Clock
) -> None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
    put(aws, "hot")
    put(aws, "cold")
    on(clock, scale=1 / 3000)
    aws.get_item(TableName=TABLE, Key=key("hot"), ConsistentRead=True)  # "hot" spent its second
    answer = aws.batch_get_item(
        RequestItems={TABLE: {"Keys": [key("hot"), key("cold")], "ConsistentRead": True}}
    )
    assert [item["pk"]["S"] for item in answer["Responses"][TABLE]] == ["cold"]
    assert answer["UnprocessedKeys"][TABLE]["Keys"] == [key("hot")]
    with pytest.raises(ClientError) as raised:
        aws.batch_get_item(RequestItems={TABLE: {"Keys": [key("hot")], "ConsistentRead": True}})
    assert code(raised.value) == "ProvisionedThroughputExceededException"

    written = aws.batch_write_item(
        RequestItems={TABLE: [{"PutRequest": {"Item": key(f"b{i}")}} for i in range(2)]}
    )
    assert written["UnprocessedItems"] == {}


def test_writes_that_share_a_gsi_partition_are_throttled_by_the_index(aws: Any, clock: Clock) -> None:
    on(clock, scale=0.002)
    put(aws, "a", gsi1pk="PRODUCT")
    put(aws, "b", gsi1pk="PRODUCT")
    with pytest.raises(ClientError) as raised:
        put(aws, "c", gsi1pk="PRODUCT")  # a new item, but the index's PRODUCT partition is full
    [reason] = raised.value.response["ThrottlingReasons"]
    assert reason["reason"] == "IndexWriteKeyRangeThroughputExceeded"
    assert reason["resource"].endswith(f"table/{TABLE}/index/gsi1")


def test_a_table_over_the_account_quota_answers_throttling_exception(aws: Any, clock: Clock) -> None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
    # (on-demand: 40,000 write request units per second per table by default)
    on(clock, scale=0.001)  # 40 write units a second per table, 1 per partition
    for i in range(40):
        put(aws, f"k{i}")
    with pytest.raises(ClientError) as raised:
        put(aws, "k40")
    assert code(raised.value) == "ThrottlingException"
    assert raised.value.response["throttlingReasons"][0]["reason"] == "TableWriteAccountLimitExceeded"


def test_put_events_over_the_account_rate_is_throttled(clock: Clock) -> None:
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
    # (PutEvents: 10,000 requests per second in us-east-1)
    with mock_aws():
        events = boto3.client("events", region_name="us-east-1", config=NO_RETRIES)
        entry = {"Source": "probe", "DetailType": "Probe", "Detail": json.dumps({"a": 1})}
        limits.install(Limits(scale=0.0002, dynamodb=False), clock=clock)  # 2 requests a second
        try:
            for _ in range(2):
                assert events.put_events(Entries=[entry] * 10)["FailedEntryCount"] == 0
            with pytest.raises(ClientError) as raised:
                events.put_events(Entries=[entry])
        finally:
            limits.uninstall()
    assert code(raised.value) == "ThrottlingException"


def test_with_limits_on_the_functions_cache_ages_are_dilated_by_one_over_the_scale() -> None:
    # Quotas shrink by `scale`, an environment's own pace does not: its periodic re-reads must.
    from commerce.environment_cache import AGE_FACTOR_VARIABLE

    assert Limits(scale=0.0001).function_environment == {AGE_FACTOR_VARIABLE: "10000"}
    assert Limits(scale=0.01).function_environment == {AGE_FACTOR_VARIABLE: "100"}


def test_only_the_partitions_a_sale_concentrates_on_are_scaled_when_asked(aws: Any, clock: Clock) -> None:
    # A sale multiplies orders and customers, not one order's or one customer's requests: with
    # `scaled_keys`, only the hot product's partitions get the scaled quota; the table quota scales.
    limits.install(Limits(scale=0.002, scaled_keys=("PRODUCT", "STOCK#")), clock=clock)  # 2 WCU/s
    put(aws, "PRODUCT#hot")
    put(aws, "PRODUCT#hot")
    with pytest.raises(ClientError):
        put(aws, "PRODUCT#hot")
    put(aws, "STOCK#hot#0")
    put(aws, "STOCK#hot#0")
    with pytest.raises(ClientError):
        put(aws, "STOCK#hot#0")
    clock.now += 10  # every bucket full again
    for _ in range(10):  # 6 RCU/s if a user's partition were scaled
        aws.get_item(TableName=TABLE, Key=key("USER#u-1"), ConsistentRead=True)
    for number in range(3):  # one order's item written three times, and one user's index partition
        put(aws, "ORDER#o-1", gsi1pk="USER#u-1", n=str(number))
    assert Limits.parse("scale=0.01,scaled_keys=PRODUCT+STOCK#").scaled_keys == ("product", "stock#")
    assert Limits.parse("scale=0.01").scaled_keys is None  # every partition, as before


def test_a_table_over_its_scaled_quota_is_throttled_whatever_partitions_are_scaled(
    aws: Any, clock: Clock
) -> None:
    limits.install(Limits(scale=0.0001, scaled_keys=("PRODUCT",)), clock=clock)  # 4 WCU/s a table
    answers = []
    for number in range(10):  # ten orders, each its own (unscaled) partition
        try:
            put(aws, f"ORDER#o-{number}")
            answers.append("ok")
        except ClientError as error:
            answers.append(code(error))
    assert 4 <= answers.count("ok") <= 5
    assert set(answers[answers.count("ok") :]) == {"ThrottlingException"}
