"""DynamoDB adapter of the identity table (and the profile written at registration).

Key layout: `commerce.identity_table`. Registration is one `TransactWriteItems` over both tables:
credential, case-insensitive email claim (`attribute_not_exists`), profile and the `UserRegistered`
outbox entry. Refresh-token rotation is one transaction too, so a token is used at most once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from commerce.aws import dynamodb
from commerce.clock import iso_now
from commerce.dynamodb import TableAdapter, cancellation_reasons, condition_failed
from commerce.identity_table import (
    credential_key,
    email_claim_key,
    family_index_key,
    family_key,
    login_attempts_key,
    profile_key,
    refresh_token_key,
)
from commerce.items import from_attribute_values, to_attribute_values
from commerce.outbox import outbox_put
from identity.domain import (
    AccessState,
    Credential,
    EmailTaken,
    LoginAttempt,
    NewAccount,
    RefreshRecord,
    RotationRefused,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


@dataclass(frozen=True)
class DynamoIdentityStore(TableAdapter):
    users_table: str = ""

    @classmethod
    def from_env(cls) -> DynamoIdentityStore:
        return cls(
            table=os.environ["IDENTITY_TABLE_NAME"], users_table=os.environ.get("USERS_TABLE_NAME", "")
        )

    # -- accounts ---------------------------------------------------------------------------
    def create_account(self, account: NewAccount, correlation_id: str) -> None:
        roles = list(account.roles)
        credential = {
            **credential_key(account.user_id),
            "entity": "Credential",
            "userId": account.user_id,
            "email": account.email,
            "emailKey": account.email_key,
            "passwordHash": account.password_hash,
            "roles": roles,
            "createdAt": account.created_at,
        }
        claim = {**email_claim_key(account.email_key), "entity": "EmailClaim", "userId": account.user_id}
        profile = {
            **profile_key(account.user_id),
            "entity": "Profile",
            "userId": account.user_id,
            "email": account.email,
            "name": account.name,
            "roles": roles,
            "createdAt": account.created_at,
            "updatedAt": account.created_at,
        }
        # Imported here: only registration publishes an event, and the contract's models are the
        # largest import the other identity functions would otherwise pay for at cold start.
        from commerce.events import UserRegistered

        event = UserRegistered(userId=account.user_id, roles=roles, contact=account.contact)
        items: list[TransactWriteItemTypeDef] = [
            self._put(self.table, credential),
            self._put(self.table, claim),
            self._put(self.users_table, profile),
            outbox_put(self.table, "UserRegistered", event, correlation_id=correlation_id),
        ]
        try:
            dynamodb().transact_write_items(TransactItems=items)
        except Exception as error:
            if condition_failed(error, 1):
                raise EmailTaken() from None
            raise

    @staticmethod
    def _put(table: str, item: dict[str, Any]) -> TransactWriteItemTypeDef:
        return {
            "Put": {
                "TableName": table,
                "Item": to_attribute_values(item),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _get(self, table: str, key: dict[str, str]) -> dict[str, Any] | None:
        item = self.get_item(to_attribute_values(key), table=table)
        return from_attribute_values(item) if item else None

    def credential(self, user_id: str) -> Credential | None:
        item = self._get(self.table, credential_key(user_id))
        if item is None:
            return None
        return Credential(
            user_id=str(item["userId"]),
            email=str(item["email"]),
            password_hash=str(item["passwordHash"]),
            roles=tuple(str(role) for role in item.get("roles", [])),
        )

    def access_state(self, user_id: str) -> AccessState | None:
        """One strongly consistent GetItem of the credential, projected to what revocation needs (the
        authorizer's role may read nothing else: IAM `dynamodb:Attributes`, cdk/services/identity.py)."""
        response = dynamodb().get_item(
            TableName=self.table,
            Key=to_attribute_values(credential_key(user_id)),
            ConsistentRead=True,
            ProjectionExpression="pk, tokensValidAfter, #status",
            ExpressionAttributeNames={"#status": "status"},
        )
        item = from_attribute_values(response["Item"]) if response.get("Item") else None
        if not item:
            return None
        return AccessState(
            tokens_valid_after=int(item.get("tokensValidAfter") or 0),
            disabled=item.get("status") == "disabled",
        )

    def credential_by_email(self, email_key: str) -> Credential | None:
        claim = self._get(self.table, email_claim_key(email_key))
        return self.credential(str(claim["userId"])) if claim else None

    def add_roles(self, user_id: str, roles: Sequence[str]) -> None:
        """Grant roles on the credential (what tokens carry) and the profile (what users see)."""
        current = self.credential(user_id)
        if current is None:
            raise LookupError("no such user")
        merged = sorted(set(current.roles) | set(roles))
        values = to_attribute_values({":roles": merged, ":now": iso_now()})
        dynamodb().transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": to_attribute_values(credential_key(user_id)),
                        "UpdateExpression": "SET #roles = :roles",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeNames": {"#roles": "roles"},
                        "ExpressionAttributeValues": {":roles": values[":roles"]},
                    }
                },
                {
                    "Update": {
                        "TableName": self.users_table,
                        "Key": to_attribute_values(profile_key(user_id)),
                        "UpdateExpression": "SET #roles = :roles, updatedAt = :now",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeNames": {"#roles": "roles"},
                        "ExpressionAttributeValues": values,
                    }
                },
            ]
        )

    # -- login throttling: one item per email, one attribute per attempt slot ------------------
    def login_attempts(self, email_hash: str) -> dict[int, LoginAttempt]:
        item = self._get(self.table, login_attempts_key(email_hash)) or {}
        held = {}
        for name, value in item.items():
            if name.startswith("s") and name[1:].isdigit() and isinstance(value, dict):
                held[int(name[1:])] = LoginAttempt(at=int(value["at"]), attempt_id=str(value["id"]))
        return held

    def hold_attempt(
        self, email_hash: str, slot: int, attempt: LoginAttempt, *, free_before: int, expires_at: int
    ) -> bool:
        try:
            dynamodb().update_item(
                TableName=self.table,
                Key=to_attribute_values(login_attempts_key(email_hash)),
                UpdateExpression="SET #slot = :attempt, expiresAt = :expires, entity = :entity",
                ConditionExpression="attribute_not_exists(#slot) OR #slot.#at <= :free_before",
                ExpressionAttributeNames={"#slot": f"s{slot}", "#at": "at"},
                ExpressionAttributeValues=to_attribute_values(
                    {
                        ":attempt": {"at": attempt.at, "id": attempt.attempt_id},
                        ":expires": expires_at,
                        ":free_before": free_before,
                        ":entity": "LoginAttempts",
                    }
                ),
            )
        except Exception as error:
            if condition_failed(error):
                return False
            raise
        return True

    def release_attempt(self, email_hash: str, slot: int, attempt: LoginAttempt) -> None:
        try:
            dynamodb().update_item(
                TableName=self.table,
                Key=to_attribute_values(login_attempts_key(email_hash)),
                UpdateExpression="REMOVE #slot",
                ConditionExpression="#slot.#id = :id",
                ExpressionAttributeNames={"#slot": f"s{slot}", "#id": "id"},
                ExpressionAttributeValues=to_attribute_values({":id": attempt.attempt_id}),
            )
        except Exception as error:
            if not condition_failed(error):
                raise

    # -- refresh-token families -------------------------------------------------------------
    def start_family(self, user_id: str, family_id: str, token_hash: str, expires_at: int) -> None:
        family = {
            **family_key(family_id),
            "entity": "TokenFamily",
            "userId": user_id,
            "status": "active",
            "expiresAt": expires_at,
        }
        index = {
            **family_index_key(user_id, family_id),
            "entity": "UserFamily",
            "familyId": family_id,
            "expiresAt": expires_at,
        }
        token = self._token_item(token_hash, user_id, family_id, expires_at)
        dynamodb().transact_write_items(
            TransactItems=[
                self._put(self.table, family),
                self._put(self.table, index),
                self._put(self.table, token),
            ]
        )

    @staticmethod
    def _token_item(token_hash: str, user_id: str, family_id: str, expires_at: int) -> dict[str, Any]:
        return {
            **refresh_token_key(token_hash),
            "entity": "RefreshToken",
            "userId": user_id,
            "familyId": family_id,
            "status": "active",
            "expiresAt": expires_at,
        }

    def refresh_record(self, token_hash: str) -> RefreshRecord | None:
        item = self._get(self.table, refresh_token_key(token_hash))
        if item is None:
            return None
        return RefreshRecord(
            user_id=str(item["userId"]),
            family_id=str(item["familyId"]),
            status=str(item["status"]),
            expires_at=int(item["expiresAt"]),
        )

    def rotate(self, old_hash: str, record: RefreshRecord, new_hash: str, expires_at: int, now: int) -> None:
        """Mark the old token used, keep the family alive and add the new token — all or nothing."""
        values = to_attribute_values(
            {":active": "active", ":used": "used", ":now": now, ":expires": expires_at}
        )
        items: list[TransactWriteItemTypeDef] = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": to_attribute_values(refresh_token_key(old_hash)),
                    "UpdateExpression": "SET #status = :used, usedAt = :now",
                    "ConditionExpression": "#status = :active AND expiresAt > :now",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {k: values[k] for k in (":active", ":used", ":now")},
                }
            },
            {
                "Update": {
                    "TableName": self.table,
                    "Key": to_attribute_values(family_key(record.family_id)),
                    "UpdateExpression": "SET expiresAt = :expires",
                    "ConditionExpression": "#status = :active",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {k: values[k] for k in (":active", ":expires")},
                }
            },
            {
                "Update": {
                    "TableName": self.table,
                    "Key": to_attribute_values(family_index_key(record.user_id, record.family_id)),
                    "UpdateExpression": "SET expiresAt = :expires, familyId = :family, entity = :entity",
                    "ExpressionAttributeValues": {
                        ":expires": values[":expires"],
                        **to_attribute_values({":family": record.family_id, ":entity": "UserFamily"}),
                    },
                }
            },
            self._put(self.table, self._token_item(new_hash, record.user_id, record.family_id, expires_at)),
        ]
        try:
            dynamodb().transact_write_items(TransactItems=items)
        except Exception as error:
            if not cancellation_reasons(error):
                raise
            if condition_failed(error, 0):
                raise RotationRefused(reused=True) from None
            if condition_failed(error, 1):
                raise RotationRefused(reused=False) from None
            raise

    def revoke_family(self, family_id: str) -> None:
        try:
            dynamodb().update_item(
                TableName=self.table,
                Key=to_attribute_values(family_key(family_id)),
                UpdateExpression="SET #status = :revoked",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_attribute_values({":revoked": "revoked"}),
            )
        except Exception as error:
            if not condition_failed(error):
                raise
