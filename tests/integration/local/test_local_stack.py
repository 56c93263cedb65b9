"""The whole local stack on the sample template: provisioning, HTTP, queues, streams, rules, invoke."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.invoke import run_invoke
from local.net import free_port
from local.stack import LocalStack, StackOptions
from tests.unit.local.sample import STACK_NAME, write_template


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    folder = tmp_path_factory.mktemp("local-stack")
    options = StackOptions(
        template=write_template(folder),
        port=free_port(),
        aws_port=free_port(),
        stripe_port=free_port(),
        state_dir=folder / "state",
        seed=False,
        sqs_retry_delay_s=0,
    )
    local = LocalStack(options).start()
    yield local
    local.stop()


def _client(stack: LocalStack, service: str) -> Any:
    factory: Any = boto3.client  # the stubs' overloads want a literal service name
    return factory(
        service,
        endpoint_url=stack.aws_endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _eventually(check: Callable[[], Any], timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _queue_url(stack: LocalStack, logical_id: str) -> str:
    return stack.physical[logical_id].ref


def _count(stack: LocalStack, logical_id: str) -> int:
    attributes = _client(stack, "sqs").get_queue_attributes(
        QueueUrl=_queue_url(stack, logical_id), AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_outputs_file_has_resolved_outputs_local_api_url_and_endpoint(stack: LocalStack) -> None:
    outputs = json.loads((stack.options.state_dir / "outputs.json").read_text())[STACK_NAME]
    assert outputs["ApiUrl"] == stack.api_url
    assert outputs["AwsEndpoint"] == stack.aws_endpoint
    assert outputs["EventBusName"] == "fixture-bus"
    assert outputs["TableName"].startswith(f"{STACK_NAME}-Table-")
    assert outputs["DevOnly"] == "yes"


def test_resources_are_provisioned_from_the_template(stack: LocalStack) -> None:
    table = _client(stack, "dynamodb").describe_table(TableName=stack.physical["Table"].ref)["Table"]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "gsi1"
    ttl = _client(stack, "dynamodb").describe_time_to_live(TableName=stack.physical["Table"].ref)
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expiresAt"
    attributes = _client(stack, "sqs").get_queue_attributes(
        QueueUrl=_queue_url(stack, "ConsumerQueue"), AttributeNames=["All"]
    )["Attributes"]
    assert attributes["VisibilityTimeout"] == "30"
    assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 2
    secret = _client(stack, "secretsmanager").get_secret_value(SecretId=stack.physical["StripeSecret"].ref)
    value = json.loads(secret["SecretString"])
    assert value["apiKey"] == "sk_test_local"
    assert len(value["webhookSecret"]) == 24
    key = _client(stack, "kms").describe_key(KeyId="alias/fixture-signing")["KeyMetadata"]
    assert key["KeySpec"] == "ECC_NIST_P256"
    assert key["KeyUsage"] == "SIGN_VERIFY"
    stack.runtime.provisioned.wait(10)  # type: ignore[union-attr]
    parameter = _client(stack, "ssm").get_parameter(Name=stack.physical["Setting"].ref)["Parameter"]
    assert parameter["Value"] == "bus=fixture-bus"


def test_http_request_reaches_the_function_through_the_proxy_integration(stack: LocalStack) -> None:
    status, headers, body = _get(stack.api_url + "health?x=1")
    assert status == 200
    event = json.loads(body)["event"]
    assert event["queryStringParameters"] == {"x": "1"}
    assert headers["X-Single"] == "one"
    assert "x-amzn-RequestId" in headers


def test_unknown_route_answers_as_the_gateway_response(stack: LocalStack) -> None:
    status, headers, body = _get(stack.api_url + "nothing/here")
    assert status == 404
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["title"] == "Missing Authentication Token"


def test_authorizer_runs_in_its_own_worker(stack: LocalStack) -> None:
    assert _get(stack.api_url + "orders/1")[0] == 401
    status, _, body = _get(stack.api_url + "orders/1", {"Authorization": "Bearer allow"})
    assert status == 200
    assert json.loads(body)["event"]["requestContext"]["authorizer"]["userId"] == "user-1"


def test_rule_delivers_to_the_queue_and_a_failing_message_ends_in_the_dlq(stack: LocalStack) -> None:
    events = _client(stack, "events")
    events.put_events(
        Entries=[
            {
                "Source": "fixture.app",
                "DetailType": "OrderPlaced",
                "Detail": "{}",
                "EventBusName": "fixture-bus",
            },
        ]
    )
    _client(stack, "sqs").send_message(
        QueueUrl=_queue_url(stack, "ConsumerQueue"), MessageBody='{"bad": true}'
    )
    assert _eventually(lambda: _count(stack, "ConsumerDlq") == 1)
    # the good event was consumed and deleted, the bad one moved after maxReceiveCount receives
    dlq = _client(stack, "sqs").receive_message(QueueUrl=_queue_url(stack, "ConsumerDlq"))["Messages"]
    assert json.loads(dlq[0]["Body"]) == {"bad": True}
    assert _eventually(lambda: _count(stack, "ConsumerQueue") == 0)


def test_stream_batches_are_filtered_bisected_and_sent_to_the_on_failure_destination(
    stack: LocalStack,
) -> None:
    ddb = _client(stack, "dynamodb")
    table = stack.physical["Table"].ref
    ddb.put_item(TableName=table, Item={"pk": {"S": "ITEM#1"}, "sk": {"S": "a"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "OTHER#1"}, "sk": {"S": "a"}})  # filtered out
    ddb.put_item(TableName=table, Item={"pk": {"S": "ITEM#2"}, "sk": {"S": "a"}, "poison": {"S": "x"}})
    assert _eventually(lambda: _count(stack, "StreamFailures") == 1)
    assert _eventually(lambda: _count(stack, "StreamSink") == 1)
    sqs = _client(stack, "sqs")
    failure = json.loads(
        sqs.receive_message(QueueUrl=_queue_url(stack, "StreamFailures"))["Messages"][0]["Body"]
    )
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1
    assert failure["DDBStreamBatchInfo"]["streamArn"] == stack.physical["Table"].attrs["StreamArn"]
    delivered = json.loads(
        sqs.receive_message(QueueUrl=_queue_url(stack, "StreamSink"))["Messages"][0]["Body"]
    )
    assert delivered["dynamodb"]["Keys"]["pk"] == {"S": "ITEM#1"}
    assert delivered["eventSourceARN"] == stack.physical["Table"].attrs["StreamArn"]
    assert delivered["eventName"] == "INSERT"


def test_invoke_attaches_to_the_running_stack(
    stack: LocalStack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = run_invoke(stack.options.template, stack.options.state_dir, "EchoFn", {"path": "/direct"})
    assert code == 0
    body = json.loads(json.loads(capsys.readouterr().out)["body"])
    assert body["env"]["TABLE_NAME"] == stack.physical["Table"].ref
    assert body["env"]["AWS_ENDPOINT_URL"] == stack.aws_endpoint
    assert run_invoke(stack.options.template, stack.options.state_dir, "misbehave.fail", {}) == 1
    assert json.loads(capsys.readouterr().out)["errorType"] == "ValueError"


def test_rule_with_a_lambda_target_invokes_the_function_asynchronously(stack: LocalStack) -> None:
    _client(stack, "events").put_events(
        Entries=[
            {
                "Source": "fixture.lambda",
                "DetailType": "Ping",
                "Detail": '{"n": 1}',
                "EventBusName": "fixture-bus",
            }
        ]
    )
    assert _eventually(lambda: _count(stack, "RuleSink") == 1)
    message = _client(stack, "sqs").receive_message(QueueUrl=_queue_url(stack, "RuleSink"))["Messages"][0]
    event = json.loads(message["Body"])
    assert event["source"] == "fixture.lambda"
    assert event["detail"] == {"n": 1}


def test_twenty_concurrent_authorized_requests_all_succeed(stack: LocalStack) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def call(i: int) -> int:
        return _get(stack.api_url + f"orders/o-{i}", {"Authorization": f"Bearer allow-{i % 3}"})[0]

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(call, range(20)))
    assert statuses == [200] * 20


def test_stream_delivery_survives_a_rolled_back_transaction(stack: LocalStack) -> None:
    # moto restores a deep copy of the table when TransactWriteItems fails; delivery must go on.
    ddb = _client(stack, "dynamodb")
    table = stack.physical["Table"].ref
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "ITEM#1"}, "sk": {"S": "a"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            ]
        )
    ddb.put_item(TableName=table, Item={"pk": {"S": "ITEM#after-rollback"}, "sk": {"S": "a"}})
    sqs = _client(stack, "sqs")

    def delivered() -> bool:
        for message in sqs.receive_message(
            QueueUrl=_queue_url(stack, "StreamSink"), MaxNumberOfMessages=10
        ).get("Messages", []):
            if json.loads(message["Body"])["dynamodb"]["Keys"]["pk"]["S"] == "ITEM#after-rollback":
                return True
        return False

    assert _eventually(delivered)
