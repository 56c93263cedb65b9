"""KMS adapter: decrypts the contact address identity encrypted for this service (bound to the user
id by the encryption context). Only the keep_contacts function may use the key."""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

from commerce.aws import kms
from commerce.dynamodb import error_code
from notifications.domain import UnreadableContact

UNREADABLE = {"InvalidCiphertextException", "IncorrectKeyException"}


@dataclass(frozen=True)
class KmsContactKey:
    key_arn: str

    @classmethod
    def from_env(cls) -> KmsContactKey:
        return cls(key_arn=os.environ.get("CONTACT_KEY_ARN", ""))

    def prime(self) -> None:
        """Create the KMS client before a SnapStart snapshot (commerce.snapstart)."""
        kms()

    def decrypt(self, user_id: str, ciphertext: str) -> str:
        try:
            response = kms().decrypt(
                CiphertextBlob=base64.b64decode(ciphertext),
                EncryptionContext={"userId": user_id},
                KeyId=self.key_arn,
            )
            return bytes(response["Plaintext"]).decode()
        except (binascii.Error, ValueError) as error:
            raise UnreadableContact(f"contact of {user_id} cannot be decrypted (malformed)") from error
        except Exception as error:
            code = error_code(error)
            if code in UNREADABLE:
                raise UnreadableContact(f"contact of {user_id} cannot be decrypted ({code})") from error
            raise
