"""The notifications table: the private contact projection and the sent-email records.

    CONTACT#<userId> / CONTACT   status ACTIVE (with `email`) or ERASED (no personal data)
    IDEMPOTENCY#email#<h> / IDEMPOTENCY   one record per event id an email went out for

The table is encrypted with a customer-managed key; the address never leaves this service.
"""

from __future__ import annotations

import os
import time
from typing import Any

from commerce.aws import client
from notifications.domain import Contact, ContactStatus


def _key(user_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"CONTACT#{user_id}"}, "sk": {"S": "CONTACT"}}


class DynamoContactStore:
    def __init__(self, table_name: str | None = None) -> None:
        self.table = table_name or os.environ["TABLE_NAME"]

    def get(self, user_id: str) -> Contact | None:
        item = (
            client("dynamodb")
            .get_item(TableName=self.table, Key=_key(user_id), ConsistentRead=True)
            .get("Item")
        )
        if not item:
            return None
        return Contact(
            user_id=user_id,
            status=ContactStatus(item["status"]["S"]),
            email=item.get("email", {}).get("S", ""),
        )

    def add(self, user_id: str, email: str) -> bool:
        dynamodb = client("dynamodb")
        try:
            dynamodb.put_item(
                TableName=self.table,
                Item={
                    **_key(user_id),
                    "entity": {"S": "Contact"},
                    "status": {"S": ContactStatus.ACTIVE.value},
                    "email": {"S": email},
                    "updatedAt": {"N": str(int(time.time()))},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def erase(self, user_id: str) -> None:
        client("dynamodb").put_item(
            TableName=self.table,
            Item={
                **_key(user_id),
                "entity": {"S": "Contact"},
                "status": {"S": ContactStatus.ERASED.value},
                "updatedAt": {"N": str(int(time.time()))},
            },
        )
