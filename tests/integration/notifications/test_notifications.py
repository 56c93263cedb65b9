"""Notifications against moto: the private contact projection and one email per event."""

from __future__ import annotations

from typing import Any

import pytest

from commerce.aws import client
from tests.integration.saga_driver import SagaDriver

TOTAL = {"amount": 1250, "currency": "EUR"}


def notifications() -> Any:
    return lambda queue: queue.spec.name.startswith("notifications-")


def register(saga: SagaDriver, user_id: str, email: str, event_id: str | None = None) -> str:
    return saga.publish(
        "UserRegistered",
        {"userId": user_id, "roles": ["customer"], "contact": saga.encrypt_contact(user_id, email)},
        event_id=event_id,
    )


def order_event(name: str, order_id: str = "o-1", user_id: str = "u-1", **extra: Any) -> dict[str, Any]:
    status = {"OrderConfirmed": "CONFIRMED", "OrderRejected": "REJECTED", "OrderCancelled": "CANCELLED"}
    return {
        "orderId": order_id,
        "userId": user_id,
        "status": status.get(name, "SHIPPED"),
        "total": TOTAL,
        **extra,
    }


def stored_contact(saga: SagaDriver, user_id: str) -> dict[str, Any] | None:
    item = (
        client("dynamodb")
        .get_item(
            TableName=saga.tables["notifications"],
            Key={"pk": {"S": f"CONTACT#{user_id}"}, "sk": {"S": "CONTACT"}},
        )
        .get("Item")
    )
    return item


def test_user_registered_keeps_the_decrypted_address_and_sends_one_welcome_email(
    saga: SagaDriver, capsys: pytest.CaptureFixture[str]
) -> None:
    event_id = register(saga, "u-1", "ada@example.com")
    register(saga, "u-1", "ada@example.com", event_id=event_id)

    saga.pump(only=notifications(), duplicate=True)

    contact = stored_contact(saga, "u-1")
    assert contact is not None
    assert contact["email"]["S"] == "ada@example.com"
    assert saga.emails_sent() == 1
    assert "ada@example.com" not in capsys.readouterr().out  # never in a log line


def test_each_order_update_sends_exactly_one_email_even_when_delivered_twice(saga: SagaDriver) -> None:
    register(saga, "u-1", "ada@example.com")
    saga.pump(only=notifications())
    names = ["OrderConfirmed", "OrderRejected", "OrderCancelled", "OrderShipped"]
    ids = [
        saga.publish(
            name,
            order_event(name, carrier="DHL", trackingNumber="T1")
            if name == "OrderShipped"
            else order_event(name),
        )
        for name in names
    ]
    for name, event_id in zip(names, ids, strict=True):
        saga.publish(name, order_event(name), event_id=event_id)

    saga.pump(only=notifications(), duplicate=True, reverse=True)

    assert saga.emails_sent() == 1 + len(names)


def test_order_update_for_a_user_without_contact_is_skipped_not_failed(saga: SagaDriver) -> None:
    saga.publish("OrderConfirmed", order_event("OrderConfirmed", user_id="stranger"))

    saga.pump(only=notifications())

    assert saga.emails_sent() == 0
    assert saga.dead_letters("notifications-orders") == []


def test_user_deleted_erases_the_address_and_a_late_registration_does_not_restore_it(
    saga: SagaDriver,
) -> None:
    register(saga, "u-1", "ada@example.com")
    saga.pump(only=notifications())
    saga.publish("UserDeleted", {"userId": "u-1"})
    saga.pump(only=notifications())

    contact = stored_contact(saga, "u-1")
    assert contact is not None
    assert "email" not in contact
    assert contact["status"]["S"] == "ERASED"

    register(saga, "u-1", "ada@example.com")  # replayed late
    saga.publish("OrderShipped", order_event("OrderShipped"))
    saga.pump(only=notifications())

    assert "email" not in (stored_contact(saga, "u-1") or {})
    assert saga.emails_sent() == 1  # the first welcome only


def test_contact_that_cannot_be_decrypted_goes_to_the_dlq(saga: SagaDriver) -> None:
    other_user_ciphertext = saga.encrypt_contact("u-2", "eve@example.com")
    saga.publish("UserRegistered", {"userId": "u-1", "roles": [], "contact": other_user_ciphertext})

    saga.pump(only=notifications())

    assert stored_contact(saga, "u-1") is None
    [dead] = saga.dead_letters("notifications-contacts")
    assert "cannot be decrypted" in dead["MessageAttributes"]["reason"]["StringValue"]


@pytest.mark.parametrize("code", ["MessageRejected", "AccessDeniedException"])
def test_mail_the_ses_sandbox_refuses_goes_to_the_dlq_at_once(
    saga: SagaDriver, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    # In the sandbox SES refuses unverified recipients: MessageRejected, or AccessDenied when it
    # authorizes the send against the recipient's identity. No retry fixes either.
    from botocore.exceptions import ClientError
    from notifications import mailer

    register(saga, "u-1", "ada@example.com")
    saga.pump(only=lambda queue: queue.spec.name == "notifications-contacts")
    ses = client("sesv2")

    class SandboxedSes:
        exceptions = ses.exceptions

        def send_email(self, **_: Any) -> None:
            raise ClientError({"Error": {"Code": code, "Message": "not verified"}}, "SendEmail")

    monkeypatch.setattr(mailer, "sesv2", lambda: SandboxedSes())  # the SES client under the adapter
    saga.publish("OrderConfirmed", order_event("OrderConfirmed"))

    assert saga.deliver(saga.queues["notifications-orders"]) == 1

    [dead] = saga.dead_letters("notifications-orders")
    assert dead["MessageAttributes"]["reason"]["StringValue"] == f"SES refused the message ({code})"
    assert saga.invocations["notifications-orders"] == 1
