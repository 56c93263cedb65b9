"""Key layout of the identity context's two tables, shared by the identity and users functions.

The identity table (credentials) and the users table (profiles) belong to one bounded context
(`commerce.identity`): registration writes to both in one transaction and account deletion removes
from both, so both services' adapters must agree on these keys. No business rules live here.

Identity table:
  USER#<userId>          / CREDENTIAL          email, passwordHash, roles, createdAt
  EMAIL#<email, lower>   / EMAIL               userId (the case-insensitive uniqueness claim)
  REFRESH#<sha256 hex>   / REFRESH             userId, familyId, status active|used, expiresAt
  FAMILY#<familyId>      / FAMILY              userId, status active|revoked, expiresAt
  USER#<userId>          / FAMILY#<familyId>   per-user index of refresh-token families
  LOGINFAIL#<sha256 hex> / WINDOW#<start>      count, expiresAt (login throttling)
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


def normalize_email(email: str) -> str:
    """The form an email is compared in: surrounding blanks removed, lower-cased."""
    return email.strip().lower()


def user_key(user_id: str, sk: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": sk}


def credential_key(user_id: str) -> dict[str, str]:
    return user_key(user_id, CREDENTIAL_SK)


def profile_key(user_id: str) -> dict[str, str]:
    return user_key(user_id, PROFILE_SK)


def email_claim_key(email: str) -> dict[str, str]:
    return {"pk": f"EMAIL#{normalize_email(email)}", "sk": EMAIL_SK}


def refresh_token_key(token_hash: str) -> dict[str, str]:
    return {"pk": f"REFRESH#{token_hash}", "sk": REFRESH_SK}


def family_key(family_id: str) -> dict[str, str]:
    return {"pk": f"FAMILY#{family_id}", "sk": FAMILY_SK}


def family_index_key(user_id: str, family_id: str) -> dict[str, str]:
    return user_key(user_id, FAMILY_INDEX_PREFIX + family_id)


def login_failures_key(email_hash: str, window_start: int) -> dict[str, str]:
    return {"pk": f"LOGINFAIL#{email_hash}", "sk": f"WINDOW#{window_start}"}
