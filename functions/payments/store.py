"""The payments table: one item per order's payment, Stripe webhook markers and idempotency records.

    PAYMENT#<orderId>      / PAYMENT       status, amount, currency, paymentMethodId, userId, paymentId
    STRIPE_EVENT#<eventId> / STRIPE_EVENT  a webhook already handled (TTL)
    IDEMPOTENCY#charge#<hash> / IDEMPOTENCY   Powertools Idempotency records (commerce.idempotency)
    OUTBOX#<eventId>       / OUTBOX        events on their way to the bus

Each status change and its event are one `TransactWriteItems`. Event ids are derived from the order
and the event name, so whichever path records a change first (the consumer or the webhook) writes
the event, and the other finds the condition false and writes nothing.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from commerce.aws import dynamodb
from commerce.clock import epoch_now
from commerce.dynamodb import TableAdapter, applied, condition_failed
from commerce.events import Money, PaymentFailed, PaymentRefunded, PaymentSucceeded
from commerce.items import to_attribute_values
from commerce.outbox import outbox_put
from payments.domain import Payment, Status

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

_EVENT_NAMESPACE = uuid.UUID("5b3c2c1e-51e4-4d6c-9a35-3f4f1f3a7c01")
STRIPE_EVENT_RETENTION_SECONDS = 30 * 24 * 3600


def event_id(order_id: str, name: str) -> str:
    """The id of the one `name` event an order's payment can ever publish."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"payments/{order_id}/{name}"))


def _key(order_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"PAYMENT#{order_id}"}, "sk": {"S": "PAYMENT"}}


class DynamoPaymentStore(TableAdapter):
    def get(self, order_id: str) -> Payment | None:
        item = self.get_item(_key(order_id))
        if not item:
            return None
        return Payment(
            order_id=order_id,
            status=Status(item["status"]["S"]),
            user_id=item.get("userId", {}).get("S", ""),
            amount=int(item.get("amount", {}).get("N", "0")),
            currency=item.get("currency", {}).get("S", ""),
            payment_method_id=item.get("paymentMethodId", {}).get("S", ""),
            payment_id=item.get("paymentId", {}).get("S", ""),
        )

    def add(self, payment: Payment) -> bool:
        now = epoch_now()
        item = {
            "pk": f"PAYMENT#{payment.order_id}",
            "sk": "PAYMENT",
            "entity": "Payment",
            "orderId": payment.order_id,
            "status": payment.status.value,
            "userId": payment.user_id,
            "amount": payment.amount,
            "currency": payment.currency,
            "paymentMethodId": payment.payment_method_id,
            "createdAt": now,
            "updatedAt": now,
        }
        return applied(
            lambda: dynamodb().put_item(
                TableName=self.table,
                Item=to_attribute_values(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
        )

    def move(
        self,
        order_id: str,
        allowed_from: tuple[Status, ...],
        to: Status,
        *,
        correlation_id: str,
        payment_id: str = "",
        reason: str = "",
    ) -> bool:
        current = self.get(order_id)
        if current is None or current.status not in allowed_from:
            return False  # the guard below would refuse it too; spare the cancelled write
        names = {"#status": "status"}
        values: dict[str, Any] = {":to": {"S": to.value}, ":now": {"N": str(epoch_now())}}
        conditions = []
        for n, status in enumerate(allowed_from):
            values[f":from{n}"] = {"S": status.value}
            conditions.append(f":from{n}")
        update = "SET #status = :to, updatedAt = :now"
        if payment_id:
            update += ", paymentId = :pid"
            values[":pid"] = {"S": payment_id}
        if reason:
            update += ", reason = :reason"
            values[":reason"] = {"S": reason}
        items: list[TransactWriteItemTypeDef] = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": _key(order_id),
                    "UpdateExpression": update,
                    "ConditionExpression": f"#status IN ({', '.join(conditions)})",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            }
        ]
        event = self._event_for(order_id, to, payment_id=payment_id, reason=reason)
        if event is not None:
            name, data = event
            items.append(
                outbox_put(
                    self.table, name, data, event_id=event_id(order_id, name), correlation_id=correlation_id
                )
            )
        return applied(lambda: dynamodb().transact_write_items(TransactItems=items))

    def _event_for(
        self, order_id: str, to: Status, *, payment_id: str, reason: str
    ) -> tuple[str, BaseModel] | None:
        if to is Status.FAILED:
            return "PaymentFailed", PaymentFailed(orderId=order_id, reason=reason or "declined")
        if to not in (Status.PAID, Status.REFUNDED):
            return None
        payment = self.get(order_id)
        if payment is None:
            return None
        amount = Money(amount=payment.amount, currency=payment.currency)
        if to is Status.PAID:
            return "PaymentSucceeded", PaymentSucceeded(orderId=order_id, paymentId=payment_id, amount=amount)
        return "PaymentRefunded", PaymentRefunded(
            orderId=order_id, paymentId=payment_id or payment.payment_id, amount=amount
        )

    # -- Stripe webhook markers ------------------------------------------------------------------
    def seen_stripe_event(self, stripe_event_id: str) -> bool:
        return (
            self.get_item({"pk": {"S": f"STRIPE_EVENT#{stripe_event_id}"}, "sk": {"S": "STRIPE_EVENT"}})
            is not None
        )

    def remember_stripe_event(self, stripe_event_id: str, event_type: str) -> None:
        now = epoch_now()
        try:
            dynamodb().put_item(
                TableName=self.table,
                Item=to_attribute_values(
                    {
                        "pk": f"STRIPE_EVENT#{stripe_event_id}",
                        "sk": "STRIPE_EVENT",
                        "type": event_type,
                        "receivedAt": now,
                        "expiresAt": now + STRIPE_EVENT_RETENTION_SECONDS,
                    }
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except Exception as error:
            if not condition_failed(error):
                raise
