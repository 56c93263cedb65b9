"""An in-process saga: tables, bus, rules, queues and consumers in moto, pumped by hand.

`SagaDriver.pump()` repeats until nothing moves: every service table's new stream records go
through the real outbox relay onto the bus; moto routes them by the consumers' rule patterns into
their queues; each consumer's `lambda_handler` gets the queue's messages as an SQS batch (with that
consumer's environment) and the messages it did not report as failed are deleted. Failed ones stay
on the queue (visibility timeout 0) until the queue's redrive policy moves them to the DLQ.

`pump(duplicate=True, reverse=True)` delivers every message twice and each batch in reverse order,
to prove that nothing depends on exactly-once or in-order delivery.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from commerce.aws import client
from commerce.events import EVENTS, envelope, new_metadata
from tests.conftest import FakeLambdaContext
from tests.integration.conftest import create_service_table, stream_records

BUS = "commerce-saga"
SENDER = "orders@commerce.example.com"
MAX_RECEIVES = 5  # as QueueConsumer's maxReceiveCount


@dataclass(frozen=True)
class ConsumerSpec:
    name: str  # also the queue name
    handler: str  # "<service>.<module>"
    detail_types: tuple[str, ...]
    env: dict[str, str]

    @property
    def sources(self) -> list[str]:
        return sorted({EVENTS[name][0] for name in self.detail_types})


@dataclass
class Queue:
    spec: ConsumerSpec
    url: str
    dlq_url: str


@dataclass
class SagaDriver:
    stripe_api_base: str
    tables: dict[str, str] = field(default_factory=dict)
    queues: dict[str, Queue] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    stripe_secret_arn: str = ""
    contact_key_id: str = ""
    invocations: dict[str, int] = field(default_factory=dict)

    # -- setup ---------------------------------------------------------------------------------
    def setup(self, consumers: Sequence[ConsumerSpec] | None = None) -> SagaDriver:
        for service in ("catalog", "orders", "payments", "notifications"):
            self.tables[service] = create_service_table(
                f"saga-{service}", indexes=(("gsi1", "gsi1pk", "gsi1sk"),)
            )
        client("events").create_event_bus(Name=BUS)
        self.stripe_secret_arn = client("secretsmanager").create_secret(
            Name="saga-stripe",
            SecretString=json.dumps({"apiKey": "sk_test_local", "webhookSecret": "whsec_saga"}),
        )["ARN"]
        self.contact_key_id = client("kms").create_key(Description="contact")["KeyMetadata"]["KeyId"]
        client("sesv2").create_email_identity(EmailIdentity=SENDER)
        for spec in consumers if consumers is not None else default_consumers(self):
            self.add_consumer(spec)
        return self

    def add_consumer(self, spec: ConsumerSpec) -> Queue:
        sqs, events = client("sqs"), client("events")
        dlq_url = sqs.create_queue(QueueName=f"{spec.name}-dlq")["QueueUrl"]
        dlq_arn = _queue_arn(dlq_url)
        url = sqs.create_queue(
            QueueName=spec.name,
            Attributes={
                "VisibilityTimeout": "0",
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES}
                ),
            },
        )["QueueUrl"]
        pattern = {"source": spec.sources, "detail-type": list(spec.detail_types)}
        events.put_rule(Name=spec.name, EventBusName=BUS, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=spec.name, EventBusName=BUS, Targets=[{"Id": "q", "Arn": _queue_arn(url)}])
        queue = Queue(spec=spec, url=url, dlq_url=dlq_url)
        self.queues[spec.name] = queue
        return queue

    # -- inputs --------------------------------------------------------------------------------
    def publish(
        self,
        detail_type: str,
        data: dict[str, Any],
        *,
        event_id: str | None = None,
        correlation_id: str = "corr-test",
        source: str | None = None,
    ) -> str:
        """Put one event on the bus as a service (or the warehouse) would."""
        metadata = new_metadata(correlation_id, event_id)
        client("events").put_events(
            Entries=[
                {
                    "EventBusName": BUS,
                    "Source": source or EVENTS[detail_type][0],
                    "DetailType": detail_type,
                    "Detail": json.dumps(envelope(data, metadata)),
                }
            ]
        )
        return metadata.eventId

    def add_product(self, product_id: str, stock: int, amount: int = 1000) -> None:
        client("dynamodb").put_item(
            TableName=self.tables["catalog"],
            Item={
                "pk": {"S": f"PRODUCT#{product_id}"},
                "sk": {"S": "PRODUCT"},
                "productId": {"S": product_id},
                "name": {"S": f"Product {product_id}"},
                "description": {"S": ""},
                "stock": {"N": str(stock)},
                "price": {"M": {"amount": {"N": str(amount)}, "currency": {"S": "EUR"}}},
                "version": {"N": "1"},
                "createdAt": {"S": "2026-01-01T00:00:00.000Z"},
                "updatedAt": {"S": "2026-01-01T00:00:00.000Z"},
            },
        )

    # -- the orders API, called in-process as API Gateway would ----------------------------------
    def http(
        self,
        module: str,
        method: str,
        path: str,
        *,
        user_id: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        resource: str | None = None,
        path_parameters: dict[str, str] | None = None,
        request_id: str = "req-1",
    ) -> tuple[int, Any]:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        event = {
            "resource": resource or path,
            "path": path,
            "httpMethod": method,
            "headers": all_headers,
            "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
            "queryStringParameters": None,
            "multiValueQueryStringParameters": None,
            "pathParameters": path_parameters,
            "requestContext": {
                "requestId": request_id,
                "resourcePath": resource or path,
                "httpMethod": method,
                "authorizer": {"userId": user_id, "roles": "customer"},
            },
            "body": None if body is None else json.dumps(body),
            "isBase64Encoded": False,
        }
        handler = importlib.import_module(module)
        env = {"TABLE_NAME": self.tables["orders"], "CATALOG_TABLE_NAME": self.tables["catalog"]}
        with _env(env):
            response = handler.lambda_handler(event, FakeLambdaContext())
        return int(response["statusCode"]), json.loads(response["body"]) if response.get("body") else None

    def place_order(
        self, user_id: str, lines: Sequence[tuple[str, int]], method: str = "pm_card_visa", *, key: str = ""
    ) -> dict[str, Any]:
        status, order = self.http(
            "orders.place_order",
            "POST",
            "/orders",
            user_id=user_id,
            body={"items": [{"productId": p, "quantity": q} for p, q in lines], "paymentMethodId": method},
            headers={"Idempotency-Key": key or f"key-{uuid.uuid4()}", "X-Correlation-Id": f"corr-{user_id}"},
        )
        assert status == 202, order
        return dict(order)

    def cancel_order(self, user_id: str, order_id: str) -> tuple[int, Any]:
        return self.http(
            "orders.cancel_order",
            "POST",
            f"/orders/{order_id}/cancel",
            user_id=user_id,
            resource="/orders/{orderId}/cancel",
            path_parameters={"orderId": order_id},
        )

    def order_status(self, order_id: str) -> str:
        item = (
            client("dynamodb")
            .get_item(
                TableName=self.tables["orders"],
                Key={"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "ORDER"}},
                ConsistentRead=True,
            )
            .get("Item")
        )
        return str(item["status"]["S"]) if item else "MISSING"

    def stock(self, product_id: str) -> int:
        item = client("dynamodb").get_item(
            TableName=self.tables["catalog"],
            Key={"pk": {"S": f"PRODUCT#{product_id}"}, "sk": {"S": "PRODUCT"}},
            ConsistentRead=True,
        )["Item"]
        return int(item["stock"]["N"])

    def encrypt_contact(self, user_id: str, email: str) -> str:
        blob = client("kms").encrypt(
            KeyId=self.contact_key_id, Plaintext=email.encode(), EncryptionContext={"userId": user_id}
        )["CiphertextBlob"]
        return base64.b64encode(blob).decode()

    # -- the pump ------------------------------------------------------------------------------
    def relay(self) -> int:
        """Publish every outbox entry written since the last call; returns how many records moved."""
        from system import outbox_relay

        moved = 0
        for table in self.tables.values():
            fresh = [
                r
                for r in stream_records(table)
                if f"{table}/{r['dynamodb']['SequenceNumber']}" not in self.seen
            ]
            if not fresh:
                continue
            self.seen.update(f"{table}/{r['dynamodb']['SequenceNumber']}" for r in fresh)
            with _env({"EVENT_BUS_NAME": BUS}):
                result = outbox_relay.lambda_handler({"Records": fresh}, FakeLambdaContext())
            assert result == {"batchItemFailures": []}, result
            moved += len(fresh)
        return moved

    def deliver(self, queue: Queue, *, duplicate: bool = False, reverse: bool = False) -> int:
        """One batch from `queue` to its consumer; returns how many messages were received."""
        sqs = client("sqs")
        messages = sqs.receive_message(
            QueueUrl=queue.url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return 0
        records = [_sqs_record(m, queue) for m in messages]
        if duplicate:
            records = records + [dict(r, messageId=r["messageId"] + "-again") for r in records]
        if reverse:
            records.reverse()
        result = self.invoke(queue.spec, {"Records": records})
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed and message["MessageId"] + "-again" not in failed:
                sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def invoke(self, spec: ConsumerSpec, event: dict[str, Any]) -> dict[str, Any]:
        module = importlib.import_module(spec.handler)
        env = {**spec.env, "DLQ_URL": self.queues[spec.name].dlq_url if spec.name in self.queues else ""}
        with _env(env):
            result: dict[str, Any] = module.lambda_handler(event, FakeLambdaContext())
        self.invocations[spec.name] = self.invocations.get(spec.name, 0) + 1
        return result

    def pump(
        self,
        *,
        duplicate: bool = False,
        reverse: bool = False,
        only: Callable[[Queue], bool] | None = None,
        max_rounds: int = 200,
    ) -> None:
        """Relay and deliver until a whole round moves nothing."""
        for _ in range(max_rounds):
            moved = self.relay()
            for queue in self.queues.values():
                if only is None or only(queue):
                    moved += self.deliver(queue, duplicate=duplicate, reverse=reverse)
            if not moved:
                return
        raise AssertionError("the saga did not settle")

    # -- inspection ----------------------------------------------------------------------------
    def dead_letters(self, consumer: str) -> list[dict[str, Any]]:
        messages = (
            client("sqs")
            .receive_message(
                QueueUrl=self.queues[consumer].dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            )
            .get("Messages", [])
        )
        return messages

    def items(self, service: str, prefix: str) -> list[dict[str, Any]]:
        from commerce.items import from_attribute_values

        pages = client("dynamodb").get_paginator("scan").paginate(TableName=self.tables[service])
        return [
            from_attribute_values(item)
            for page in pages
            for item in page["Items"]
            if item["pk"]["S"].startswith(prefix)
        ]

    def published(self, service: str, detail_type: str | None = None) -> list[dict[str, Any]]:
        """The events a service has recorded in its outbox (each exactly once by construction)."""
        events = [
            json.loads(i["detail"]) | {"detailType": i["detailType"]} for i in self.items(service, "OUTBOX#")
        ]
        return [e for e in events if detail_type is None or e["detailType"] == detail_type]

    def emails_sent(self) -> int:
        return int(client("ses").get_send_quota()["SentLast24Hours"])


def default_consumers(driver: SagaDriver) -> list[ConsumerSpec]:
    catalog = {"TABLE_NAME": driver.tables["catalog"]}
    payments = {
        "TABLE_NAME": driver.tables["payments"],
        "STRIPE_SECRET_ARN": driver.stripe_secret_arn,
        "STRIPE_API_BASE": driver.stripe_api_base,
    }
    notifications = {
        "TABLE_NAME": driver.tables["notifications"],
        "CONTACT_KEY_ARN": driver.contact_key_id,
        "EMAIL_FROM": SENDER,
    }
    orders = {"TABLE_NAME": driver.tables["orders"]}
    specs = [
        ConsumerSpec("inventory-reserve", "inventory.reserve_stock", ("OrderPlaced",), catalog),
        ConsumerSpec(
            "inventory-release", "inventory.release_stock", ("OrderCancelled", "PaymentFailed"), catalog
        ),
        ConsumerSpec("inventory-replenish", "inventory.replenish_stock", ("StockReplenished",), catalog),
        ConsumerSpec("payments-record", "payments.record_order", ("OrderPlaced",), payments),
        ConsumerSpec("payments-charge", "payments.charge_order", ("StockReserved",), payments),
        ConsumerSpec("payments-refund", "payments.refund_order", ("OrderCancelled",), payments),
        ConsumerSpec(
            "notifications-contacts",
            "notifications.keep_contacts",
            ("UserRegistered", "UserDeleted"),
            notifications,
        ),
        ConsumerSpec(
            "notifications-orders",
            "notifications.email_order_update",
            ("OrderConfirmed", "OrderRejected", "OrderCancelled", "OrderShipped"),
            notifications,
        ),
    ]
    if _orders_saga_available():
        specs += [
            ConsumerSpec(
                "orders-advance",
                "orders.advance_order",
                ("StockReservationFailed", "PaymentSucceeded", "PaymentFailed"),
                orders,
            ),
            ConsumerSpec("orders-shipped", "orders.on_shipment_dispatched", ("ShipmentDispatched",), orders),
        ]
    return specs


def _orders_saga_available() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("orders.advance_order") is not None
    except ModuleNotFoundError:
        return False


def _queue_arn(url: str) -> str:
    attributes = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


def _sqs_record(message: dict[str, Any], queue: Queue) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": _queue_arn(queue.url),
        "awsRegion": "us-east-1",
    }


@contextmanager
def _env(values: dict[str, str]) -> Iterator[None]:
    with mock.patch.dict(os.environ, values):
        yield
