"""The saga's infrastructure in the synthesized template: consumers, DLQs, grants, Stripe, SES."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.conftest import Synth
from tests.infra.test_identity_infra import actions_of, function_by_handler, statements_of

SAGA_CONSUMERS = {
    "inventory.reserve_stock.lambda_handler": {"OrderPlaced"},
    "inventory.release_stock.lambda_handler": {"OrderCancelled", "PaymentFailed"},
    "inventory.replenish_stock.lambda_handler": {"StockReplenished"},
    "payments.record_order.lambda_handler": {"OrderPlaced"},
    "payments.charge_order.lambda_handler": {"StockReserved"},
    "payments.refund_order.lambda_handler": {"OrderCancelled"},
    "notifications.keep_contacts.lambda_handler": {"UserRegistered", "UserDeleted"},
    "notifications.email_order_update.lambda_handler": {
        "OrderConfirmed",
        "OrderRejected",
        "OrderCancelled",
        "OrderShipped",
    },
    "orders.advance_order.lambda_handler": {"StockReservationFailed", "PaymentSucceeded", "PaymentFailed"},
    "orders.on_shipment_dispatched.lambda_handler": {"ShipmentDispatched"},
}


def queue_of(synth: Synth, function_id: str) -> tuple[str, dict[str, Any]]:
    mapping = next(
        m
        for m in synth.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": function_id}
    )
    queue_id = mapping["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]
    return queue_id, synth.template["Resources"][queue_id]


def rule_detail_types(synth: Synth, queue_id: str) -> tuple[set[str], set[str]]:
    for rule in synth.resources("AWS::Events::Rule").values():
        if any(t["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]} for t in rule["Properties"]["Targets"]):
            pattern = rule["Properties"]["EventPattern"]
            return set(pattern["detail-type"]), set(pattern["source"])
    raise AssertionError(f"no rule targets {queue_id}")


def test_every_saga_consumer_reads_its_own_rule_queue_and_may_dead_letter_to_its_own_dlq(dev: Synth) -> None:
    for handler, detail_types in SAGA_CONSUMERS.items():
        function_id, fn = function_by_handler(dev, handler)
        queue_id, queue = queue_of(dev, function_id)
        assert rule_detail_types(dev, queue_id)[0] == detail_types, handler
        dlq_id = queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert fn["Properties"]["Environment"]["Variables"]["DLQ_URL"] == {"Ref": dlq_id}, handler
        send = [s for s in statements_of(dev, handler) if "sqs:SendMessage" in json.dumps(s["Action"])]
        # Its DLQ (an unprocessable message) and its own queue (a throttled message, deferred).
        resources = [
            r for s in send for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
        ]
        assert sorted(json.dumps(r) for r in resources) == sorted(
            json.dumps({"Fn::GetAtt": [queue, "Arn"]}) for queue in (dlq_id, queue_id)
        ), handler
        mapping = next(
            m
            for m in dev.resources("AWS::Lambda::EventSourceMapping").values()
            if m["Properties"]["FunctionName"] == {"Ref": function_id}
        )
        assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_warehouse_events_are_accepted_only_from_the_warehouse_source(dev: Synth) -> None:
    for handler in (
        "orders.on_shipment_dispatched.lambda_handler",
        "inventory.replenish_stock.lambda_handler",
    ):
        function_id, _ = function_by_handler(dev, handler)
        queue_id, _ = queue_of(dev, function_id)
        assert rule_detail_types(dev, queue_id)[1] == {"warehouse"}


def test_charging_consumer_is_bounded_by_its_mapping_not_reserved_concurrency(dev: Synth) -> None:
    function_id, fn = function_by_handler(dev, "payments.charge_order.lambda_handler")
    assert "ReservedConcurrentExecutions" not in fn["Properties"]
    mapping = next(
        m["Properties"]
        for m in dev.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": function_id}
    )
    # Stripe: 100 operations/s per live account, 25 requests/s per endpoint by default
    # (https://docs.stripe.com/rate-limits). All charging environments together, each paced to its
    # STRIPE_REQUESTS_PER_SECOND, stay within 80 % of the endpoint's limit.
    per_environment = float(fn["Properties"]["Environment"]["Variables"]["STRIPE_REQUESTS_PER_SECOND"])
    concurrency = mapping["ScalingConfig"]["MaximumConcurrency"]
    assert concurrency * per_environment <= 0.8 * 25 + 1e-9
    assert concurrency * per_environment >= 0.75 * 0.8 * 25  # and use most of it


def test_stripe_secret_is_generated_with_a_placeholder_key_and_read_only_by_payments(dev: Synth) -> None:
    [(secret_id, secret)] = [
        (lid, s) for lid, s in dev.resources("AWS::SecretsManager::Secret").items() if "Stripe" in lid
    ]
    generate = secret["Properties"]["GenerateSecretString"]
    assert json.loads(generate["SecretStringTemplate"]) == {"apiKey": "sk_test_local"}
    assert generate["GenerateStringKey"] == "webhookSecret"
    readers = {
        fn["Properties"]["Handler"]
        for fn in dev.resources("AWS::Lambda::Function").values()
        for s in statements_of(dev, fn["Properties"]["Handler"])
        if secret_id in json.dumps(s["Resource"])
    }
    assert readers == {
        "payments.charge_order.lambda_handler",
        "payments.refund_order.lambda_handler",
        "payments.stripe_webhook.lambda_handler",
    }
    _, charge = function_by_handler(dev, "payments.charge_order.lambda_handler")
    assert charge["Properties"]["Environment"]["Variables"]["STRIPE_SECRET_ARN"] == {"Ref": secret_id}


def test_only_keep_contacts_can_decrypt_contact_data(dev: Synth) -> None:
    contact_key = dev.template["Outputs"]["ContactKeyId"]["Value"]["Ref"]
    decrypters = {
        fn["Properties"]["Handler"]
        for fn in dev.resources("AWS::Lambda::Function").values()
        for s in statements_of(dev, fn["Properties"]["Handler"])
        if contact_key in json.dumps(s["Resource"]) and "kms:Decrypt" in json.dumps(s["Action"])
    }
    assert decrypters == {"notifications.keep_contacts.lambda_handler"}


def test_notifications_send_only_as_the_declared_sender_identity(dev: Synth) -> None:
    [identity] = dev.resources("AWS::SES::EmailIdentity").values()
    domain = identity["Properties"]["EmailIdentity"]
    for handler in (
        "notifications.keep_contacts.lambda_handler",
        "notifications.email_order_update.lambda_handler",
    ):
        _, fn = function_by_handler(dev, handler)
        sender = fn["Properties"]["Environment"]["Variables"]["EMAIL_FROM"]
        assert sender == f"orders@{domain}"
        ses = [s for s in statements_of(dev, handler) if "ses:" in json.dumps(s["Action"])]
        assert [s["Action"] for s in ses] == ["ses:SendEmail"]
        assert json.dumps(ses[0]["Resource"]).endswith(f':identity/{domain}"]]}}')
        assert ses[0]["Condition"] == {"StringEquals": {"ses:FromAddress": sender}}


def test_payments_webhook_is_a_public_post_route(dev: Synth) -> None:
    methods = [
        m
        for m in dev.resources("AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] == "POST"
        and "payments.stripe_webhook" not in json.dumps(m)  # integration refers to the function by id
    ]
    function_id, _ = function_by_handler(dev, "payments.stripe_webhook.lambda_handler")
    webhook = [
        m
        for m in dev.resources("AWS::ApiGateway::Method").values()
        if function_id in json.dumps(m["Properties"]["Integration"])
    ]
    assert len(webhook) == 1
    assert webhook[0]["Properties"]["AuthorizationType"] == "NONE"
    assert methods  # other POST routes exist alongside


def test_inventory_consumers_only_update_catalog_items(dev: Synth) -> None:
    assert actions_of(dev, "inventory.reserve_stock.lambda_handler") >= {
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
    }
    for handler in SAGA_CONSUMERS:
        actions = actions_of(dev, handler)
        assert not {"dynamodb:Scan", "dynamodb:DeleteTable", "dynamodb:*"} & actions, handler
