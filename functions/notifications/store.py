"""The notifications table: the private contact projection and the sent-email records.

    CONTACT#<userId> / CONTACT   status ACTIVE (with `email`) or ERASED (no personal data)
    IDEMPOTENCY#email#<h> / IDEMPOTENCY   one record per event id an email went out for

The table is encrypted with a customer-managed key; the address never leaves this service.
"""

from __future__ import annotations

from typing import Any

from commerce.aws import dynamodb
from commerce.clock import epoch_now
from commerce.dynamodb import TableAdapter, condition_failed
from notifications.domain import Contact, ContactStatus


def _key(user_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"CONTACT#{user_id}"}, "sk": {"S": "CONTACT"}}


class DynamoContactStore(TableAdapter):
    def get(self, user_id: str) -> Contact | None:
        item = self.get_item(_key(user_id))
        if not item:
            return None
        return Contact(
            user_id=user_id,
            status=ContactStatus(item["status"]["S"]),
            email=item.get("email", {}).get("S", ""),
        )

    def add(self, user_id: str, email: str) -> bool:
        try:
            dynamodb().put_item(
                TableName=self.table,
                Item={
                    **_key(user_id),
                    "entity": {"S": "Contact"},
                    "status": {"S": ContactStatus.ACTIVE.value},
                    "email": {"S": email},
                    "updatedAt": {"N": str(epoch_now())},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except Exception as error:
            if condition_failed(error):
                return False
            raise
        return True

    def erase(self, user_id: str) -> None:
        dynamodb().put_item(
            TableName=self.table,
            Item={
                **_key(user_id),
                "entity": {"S": "Contact"},
                "status": {"S": ContactStatus.ERASED.value},
                "updatedAt": {"N": str(epoch_now())},
            },
        )
