"""SES v2 adapter: sends one plain-text email per event id (Powertools Idempotency on our table).

The sender address comes from `EMAIL_FROM` (an address, not a secret). A message SES refuses for
good raises `Undeliverable`, which the consumer sends to the DLQ at once with a reason that names no
address — an unverified recipient or sender while the account is in the SES sandbox
(`MessageRejected`, or `AccessDenied`: in the sandbox SES also authorizes against the recipient's
identity), an unverified MAIL FROM domain, a paused or suspended account. Redrive the DLQ once the
cause is fixed (docs/runbook.md). Addresses are never logged.
https://docs.aws.amazon.com/ses/latest/dg/request-production-access.html
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from commerce.aws import sesv2
from commerce.dynamodb import error_code
from commerce.idempotency import run_once
from commerce.observability import logger
from notifications.domain import Email, Undeliverable

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


@dataclass(frozen=True)
class SesMailer:
    sender: str
    table_name: str  # where the once-per-event records live

    @classmethod
    def from_env(cls) -> SesMailer:
        return cls(sender=os.environ.get("EMAIL_FROM", ""), table_name=os.environ["TABLE_NAME"])

    def prime(self) -> None:
        """Create the SES client before a SnapStart snapshot (commerce.snapstart)."""
        sesv2()

    def send_once(self, event_id: str, to: str, email: Email) -> bool:
        sent_now = False

        def send() -> dict[str, Any]:
            nonlocal sent_now
            try:
                response = sesv2().send_email(
                    FromEmailAddress=self.sender,
                    Destination={"ToAddresses": [to]},
                    Content={
                        "Simple": {
                            "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                            "Body": {"Text": {"Data": email.text, "Charset": "UTF-8"}},
                        }
                    },
                )
            except Exception as error:
                code = error_code(error)
                if code not in REFUSED_FOR_GOOD:
                    raise
                logger.error(
                    "SES refused the message; it goes to the dead-letter queue "
                    "(in the SES sandbox both addresses must be verified: docs/runbook.md)",
                    extra={"code": code},
                )
                raise Undeliverable(f"SES refused the message ({code})") from error
            sent_now = True
            message_id = response.get("MessageId")
            logger.info("email sent", extra={"message_id": message_id, "subject": email.subject})
            return {"messageId": str(response.get("MessageId", ""))}

        run_once("email", event_id, send, table_name=self.table_name)
        return sent_now
