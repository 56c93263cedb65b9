"""The identity functions' use cases, built from the function's environment (see commerce.wiring)."""

from __future__ import annotations

from commerce.wiring import Provider
from identity.keys import KmsAccessTokenIssuer, encrypt_contact
from identity.service import Accounts
from identity.store import DynamoIdentityStore

accounts = Provider(
    lambda: Accounts(
        store=DynamoIdentityStore.from_env(),
        issue_access_token=KmsAccessTokenIssuer(),
        encrypt_contact=encrypt_contact,
    )
)

#: The authorizer's: only the store (no signing, no contact encryption).
access = Provider(lambda: Accounts(store=DynamoIdentityStore.from_env()))
