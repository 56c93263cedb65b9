"""The local stack, driven over HTTP and boto3 as a developer's client and an internal system would."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from local.gateway_responses import render_vtl
from tests.e2e.conftest import ROOT, STACK_NAME, LocalStackProcess
from tests.polling import wait_for

pytestmark = pytest.mark.e2e


def test_health_answers_and_outputs_are_written(local_stack: LocalStackProcess) -> None:
    status, _, body = local_stack.request("GET", "/health")
    assert status == 200
    assert json.loads(body)["status"] == "ok"
    outputs = json.loads((local_stack.state_dir / "outputs.json").read_text())[STACK_NAME]
    assert outputs["ApiUrl"] == local_stack.base_url
    assert outputs["AwsEndpoint"] == local_stack.aws_endpoint
    assert outputs["EventBusName"]
    local_stack.client("events").describe_event_bus(Name=outputs["EventBusName"])


def test_stage_prefixed_path_is_served_too(local_stack: LocalStackProcess) -> None:
    stages = local_stack.resources("AWS::ApiGateway::Stage")
    stage = next(iter(stages.values()))["Properties"]["StageName"] if stages else "prod"
    assert local_stack.request("GET", f"/{stage}/health")[0] == 200


def _gateway_response(local_stack: LocalStackProcess, response_type: str) -> dict[str, Any] | None:
    for resource in local_stack.resources("AWS::ApiGateway::GatewayResponse").values():
        if resource["Properties"].get("ResponseType") == response_type:
            return dict(resource["Properties"])
    return None


def test_unknown_route_is_answered_as_the_templates_gateway_response(local_stack: LocalStackProcess) -> None:
    status, headers, body = local_stack.request("GET", "/no/such/route")
    specific = _gateway_response(local_stack, "MISSING_AUTHENTICATION_TOKEN")
    fallback = _gateway_response(local_stack, "DEFAULT_4XX")
    expected_status = int(specific["StatusCode"]) if specific and specific.get("StatusCode") else 403
    assert status == expected_status
    spec = specific or fallback
    content_type = ((spec or {}).get("ResponseParameters") or {}).get("gatewayresponse.header.Content-Type")
    if content_type:
        assert headers["Content-Type"] == content_type.strip("'")
    template = ((spec or {}).get("ResponseTemplates") or {}).get("application/json")
    if template:
        variables = {
            "context": {
                "requestId": headers["x-amzn-RequestId"],
                "error": {
                    "message": "Missing Authentication Token",
                    "messageString": '"Missing Authentication Token"',
                    "responseType": "MISSING_AUTHENTICATION_TOKEN",
                },
            }
        }
        assert json.loads(body) == json.loads(render_vtl(template, variables))
    else:
        assert json.loads(body) == {"message": "Missing Authentication Token"}


def _sqs_consumers(local_stack: LocalStackProcess) -> list[tuple[str, str]]:
    """(queue, DLQ) logical ids of every SQS event source mapping whose queue has a redrive policy."""
    found = []
    queues = local_stack.resources("AWS::SQS::Queue")
    for mapping in local_stack.resources("AWS::Lambda::EventSourceMapping").values():
        source = mapping["Properties"].get("EventSourceArn")
        if not (isinstance(source, dict) and "Fn::GetAtt" in source):
            continue
        queue_id = source["Fn::GetAtt"][0]
        redrive = (queues.get(queue_id) or {}).get("Properties", {}).get("RedrivePolicy") or {}
        target = redrive.get("deadLetterTargetArn")
        if isinstance(target, dict) and "Fn::GetAtt" in target:
            found.append((queue_id, target["Fn::GetAtt"][0]))
    return found


def _depth(local_stack: LocalStackProcess, queue_id: str) -> int:
    attributes = local_stack.client("sqs").get_queue_attributes(
        QueueUrl=local_stack.queue_url(queue_id),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_malformed_event_on_a_consumer_queue_ends_in_its_dlq(local_stack: LocalStackProcess) -> None:
    consumers = _sqs_consumers(local_stack)
    if not consumers:
        pytest.skip("the template has no SQS consumer with a dead-letter queue yet")
    sqs = local_stack.client("sqs")
    for queue_id, dlq_id in consumers:
        before = _depth(local_stack, dlq_id)
        sqs.send_message(QueueUrl=local_stack.queue_url(queue_id), MessageBody='{"detail": "not an event"')

        def arrived(dlq: str = dlq_id, n: int = before) -> bool:
            return _depth(local_stack, dlq) > n

        assert wait_for(arrived, timeout=30), (
            f"{queue_id}: the malformed message never reached {dlq_id}\n{local_stack.log_tail()}"
        )


def test_seeded_admin_and_products_are_there_as_soon_as_health_answers(
    local_stack: LocalStackProcess,
) -> None:
    # The fixture returned on the first 200 from /health; seeding must already be complete.
    email = os.environ.get("DEV_ADMIN_EMAIL", "admin@example.com")
    password = os.environ.get("DEV_ADMIN_PASSWORD", "admin-password-123")
    status, login = local_stack.json("POST", "/auth/login", {"email": email, "password": password})
    assert status == 200, login
    demo = json.loads((ROOT / "local" / "demo_data.json").read_text())
    status, page = local_stack.json("GET", "/products?limit=100")
    assert status == 200
    # The fixed ids are what the events/ samples name (events/README.md).
    assert {(p["productId"], p["name"]) for p in demo["products"]} <= {
        (p["productId"], p["name"]) for p in page["items"]
    }
    customer = demo["customers"][0]
    status, login = local_stack.json(
        "POST", "/auth/login", {"email": customer["email"], "password": customer["password"]}
    )
    assert status == 200, login
    status, mine = local_stack.json(
        "GET", "/orders", headers={"Authorization": f"Bearer {login['accessToken']}"}
    )
    assert status == 200, mine
    assert {o["orderId"] for o in demo["orders"] if o["userId"] == customer["userId"]} <= {
        o["orderId"] for o in mine["items"]
    }


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "PUT"])
def test_a_method_no_route_has_is_answered_like_api_gateway_not_501(
    local_stack: LocalStackProcess, method: str
) -> None:
    status, headers, body = local_stack.request(method, "/health")
    assert status == 404  # MISSING_AUTHENTICATION_TOKEN, mapped to 404 by the stack's gateway response
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["status"] == 404
