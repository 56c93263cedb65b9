"""SES v2 adapter: sends one plain-text email per event id (Powertools Idempotency on our table).

The sender address comes from `EMAIL_FROM` (an address, not a secret). A message SES refuses for
good is not retried: it goes to the DLQ at once with a reason that names no address — an unverified
recipient or sender while the account is in the SES sandbox (`MessageRejected`, or `AccessDenied`:
in the sandbox SES also authorizes against the recipient's identity), an unverified MAIL FROM
domain, a paused or suspended account. Redrive the DLQ once the cause is fixed (docs/runbook.md).
Addresses are never logged.
https://docs.aws.amazon.com/ses/latest/dg/request-production-access.html
"""

from __future__ import annotations

import base64
import os
from typing import Any

from botocore.exceptions import ClientError

from commerce.aws import client
from commerce.consumer import InvalidEvent
from commerce.idempotency import run_once
from commerce.observability import logger
from notifications.domain import Email

#: SES error codes no retry can fix (sandbox, unverified identities, a paused account).
REFUSED_FOR_GOOD = frozenset(
    {
        "MessageRejected",
        "AccessDeniedException",
        "MailFromDomainNotVerifiedException",
        "AccountSuspendedException",
        "SendingPausedException",
        "NotFoundException",
    }
)


class SesMailer:
    def __init__(self, lambda_context: Any = None) -> None:
        self.lambda_context = lambda_context

    def send_once(self, event_id: str, to: str, email: Email) -> bool:
        sent_now = False

        def send() -> dict[str, Any]:
            nonlocal sent_now
            ses = client("sesv2")
            try:
                response = ses.send_email(
                    FromEmailAddress=os.environ["EMAIL_FROM"],
                    Destination={"ToAddresses": [to]},
                    Content={
                        "Simple": {
                            "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                            "Body": {"Text": {"Data": email.text, "Charset": "UTF-8"}},
                        }
                    },
                )
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code not in REFUSED_FOR_GOOD:
                    raise
                logger.error(
                    "SES refused the message; it goes to the dead-letter queue "
                    "(in the SES sandbox both addresses must be verified: docs/runbook.md)",
                    extra={"code": code},
                )
                raise InvalidEvent(f"SES refused the message ({code})") from exc
            sent_now = True
            logger.info(
                "email sent", extra={"message_id": response.get("MessageId"), "subject": email.subject}
            )
            return {"messageId": str(response.get("MessageId", ""))}

        run_once(
            "email", event_id, send, table_name=os.environ["TABLE_NAME"], lambda_context=self.lambda_context
        )
        return sent_now


def decrypt_contact(user_id: str, ciphertext: str) -> str:
    """The address identity encrypted for us under the contact key, bound to the user id."""
    response = client("kms").decrypt(
        CiphertextBlob=base64.b64decode(ciphertext),
        EncryptionContext={"userId": user_id},
        KeyId=os.environ["CONTACT_KEY_ARN"],
    )
    return bytes(response["Plaintext"]).decode()
