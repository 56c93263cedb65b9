"""Key layout of the identity context's two tables, shared by the identity and users functions.

The identity table (credentials) and the users table (profiles) belong to one bounded context
(`commerce.identity`): registration writes to both in one transaction and account deletion removes
from both, so both services' adapters must agree on these keys. No business rules live here.

Identity table:
  USER#<userId>          / CREDENTIAL          email, emailKey, passwordHash, roles, createdAt
                                               (+ tokensValidAfter, status: access-token revocation)
  EMAIL#<email key>      / EMAIL               userId (the uniqueness claim; the key is identity's
                                               normalized form, identity.domain.normalize_email)
  REFRESH#<sha256 hex>   / REFRESH             userId, familyId, status active|used, expiresAt
  FAMILY#<familyId>      / FAMILY              userId, status active|revoked, expiresAt
  USER#<userId>          / FAMILY#<familyId>   per-user index of refresh-token families
  LOGINFAIL#<sha256 hex> / ATTEMPTS            s0..s4: {at, id} the login attempts holding the
                                               5 slots of the sliding 15 minutes; expiresAt
  OUTBOX#<eventId>       / OUTBOX              UserRegistered / UserDeleted (commerce.outbox)
Users table:
  USER#<userId>          / PROFILE             userId, email, name, phone?, shippingAddress?, roles, createdAt
"""

from __future__ import annotations

CREDENTIAL_SK = "CREDENTIAL"
EMAIL_SK = "EMAIL"
REFRESH_SK = "REFRESH"
FAMILY_SK = "FAMILY"
PROFILE_SK = "PROFILE"
FAMILY_INDEX_PREFIX = "FAMILY#"


def legacy_email_key(email: str) -> str:
    """The claim key of a credential written before `emailKey` existed (stripped, lower-cased)."""
    return email.strip().lower()


def user_key(user_id: str, sk: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": sk}


def credential_key(user_id: str) -> dict[str, str]:
    return user_key(user_id, CREDENTIAL_SK)


def profile_key(user_id: str) -> dict[str, str]:
    return user_key(user_id, PROFILE_SK)


def email_claim_key(email_key: str) -> dict[str, str]:
    """The claim of an email, by its normalized form (never the address as typed)."""
    return {"pk": f"EMAIL#{email_key}", "sk": EMAIL_SK}


def refresh_token_key(token_hash: str) -> dict[str, str]:
    return {"pk": f"REFRESH#{token_hash}", "sk": REFRESH_SK}


def family_key(family_id: str) -> dict[str, str]:
    return {"pk": f"FAMILY#{family_id}", "sk": FAMILY_SK}


def family_index_key(user_id: str, family_id: str) -> dict[str, str]:
    return user_key(user_id, FAMILY_INDEX_PREFIX + family_id)


def login_attempts_key(email_hash: str) -> dict[str, str]:
    return {"pk": f"LOGINFAIL#{email_hash}", "sk": "ATTEMPTS"}
