"""DynamoDB adapter of the users table, plus the identity-table writes account deletion needs.

Deleting an account is one transaction over both tables (profile, credential, email claim and the
`UserDeleted` outbox entry in the identity table), followed by revoking every refresh-token family
the user holds (listed under `USER#<id>` / `FAMILY#...` in the identity table)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from commerce.aws import dynamodb
from commerce.clock import iso_now
from commerce.dynamodb import TableAdapter, condition_failed
from commerce.events import UserDeleted
from commerce.identity_table import (
    FAMILY_INDEX_PREFIX,
    credential_key,
    email_claim_key,
    family_key,
    legacy_email_key,
    profile_key,
)
from commerce.items import from_attribute_values, to_attribute_values
from commerce.outbox import outbox_put

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


@dataclass(frozen=True)
class DynamoProfileStore(TableAdapter):
    identity_table: str = ""

    @classmethod
    def from_env(cls) -> DynamoProfileStore:
        return cls(
            table=os.environ["USERS_TABLE_NAME"], identity_table=os.environ.get("IDENTITY_TABLE_NAME", "")
        )

    def profile(self, user_id: str) -> dict[str, Any] | None:
        item = self.get_item(to_attribute_values(profile_key(user_id)))
        return from_attribute_values(item) if item else None

    def update_profile(
        self, user_id: str, changes: Mapping[str, Any], removals: frozenset[str]
    ) -> dict[str, Any] | None:
        names: dict[str, str] = {}
        values: dict[str, Any] = {":now": iso_now()}
        sets = ["updatedAt = :now"]
        for index, (field, value) in enumerate(sorted(changes.items())):
            names[f"#f{index}"] = field
            values[f":v{index}"] = value
            sets.append(f"#f{index} = :v{index}")
        removes = []
        for index, field in enumerate(sorted(removals)):
            names[f"#r{index}"] = field
            removes.append(f"#r{index}")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        kwargs: dict[str, Any] = {}
        if names:
            kwargs["ExpressionAttributeNames"] = names
        try:
            response = dynamodb().update_item(
                TableName=self.table,
                Key=to_attribute_values(profile_key(user_id)),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=to_attribute_values(values),
                ReturnValues="ALL_NEW",
                **kwargs,
            )
        except Exception as error:
            if condition_failed(error):
                return None
            raise
        return from_attribute_values(response["Attributes"])

    def delete_account(self, user_id: str, correlation_id: str) -> bool:
        """Remove the profile, credential and email claim and record UserDeleted; False if gone."""
        profile = self.profile(user_id)
        if profile is None:
            return False
        client = dynamodb()
        credential = self.get_item(to_attribute_values(credential_key(user_id)), table=self.identity_table)
        stored = from_attribute_values(credential) if credential else {}
        # The claim is keyed by identity's normalized form, stored with the credential; a credential
        # written before that has the key it was claimed under: the address lower-cased.
        email_key = str(
            stored.get("emailKey") or legacy_email_key(str(stored.get("email") or profile.get("email", "")))
        )
        items: list[TransactWriteItemTypeDef] = [
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": to_attribute_values(profile_key(user_id)),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            {
                "Delete": {
                    "TableName": self.identity_table,
                    "Key": to_attribute_values(credential_key(user_id)),
                }
            },
            outbox_put(
                self.identity_table, "UserDeleted", UserDeleted(userId=user_id), correlation_id=correlation_id
            ),
        ]
        if email_key:
            items.append(
                {
                    "Delete": {
                        "TableName": self.identity_table,
                        "Key": to_attribute_values(email_claim_key(email_key)),
                        # Never release a claim that (somehow) belongs to another account.
                        "ConditionExpression": "attribute_not_exists(pk) OR userId = :user",
                        "ExpressionAttributeValues": to_attribute_values({":user": user_id}),
                    }
                }
            )
        try:
            client.transact_write_items(TransactItems=items)
        except Exception as error:
            if condition_failed(error):
                return False
            raise
        self.revoke_all_families(user_id)
        return True

    def revoke_all_families(self, user_id: str) -> int:
        client = dynamodb()
        revoked = 0
        paginator = client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.identity_table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_attribute_values(
                {":pk": f"USER#{user_id}", ":prefix": FAMILY_INDEX_PREFIX}
            ),
            ConsistentRead=True,
        )
        for page in pages:
            for raw in page.get("Items", []):
                family_id = str(from_attribute_values(raw)["sk"]).removeprefix(FAMILY_INDEX_PREFIX)
                try:
                    client.update_item(
                        TableName=self.identity_table,
                        Key=to_attribute_values(family_key(family_id)),
                        UpdateExpression="SET #status = :revoked",
                        ConditionExpression="attribute_exists(pk)",
                        ExpressionAttributeNames={"#status": "status"},
                        ExpressionAttributeValues=to_attribute_values({":revoked": "revoked"}),
                    )
                    revoked += 1
                except Exception as error:
                    if not condition_failed(error):
                        raise
        return revoked
