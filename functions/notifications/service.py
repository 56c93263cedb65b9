"""Notifications use cases: keep a customer's contact address (and welcome them), forget it, and send
one email per customer-facing order event (see notifications.domain)."""

from __future__ import annotations

from dataclasses import dataclass

from notifications.domain import ContactStatus, Email
from notifications.ports import ContactKey, ContactStore, Mailer


@dataclass(frozen=True)
class Notifications:
    contacts: ContactStore
    mailer: Mailer
    contact_key: ContactKey

    def keep_contact(self, user_id: str, ciphertext: str, *, event_id: str) -> str:
        """UserRegistered: decrypt the address identity sent, store it, send the welcome email once."""
        return self.welcome(user_id, self.contact_key.decrypt(user_id, ciphertext), event_id=event_id)

    def welcome(self, user_id: str, email: str, *, event_id: str) -> str:
        if not self.contacts.add(user_id, email):
            known = self.contacts.get(user_id)
            if known is None or known.status is ContactStatus.ERASED:
                return "skipped: user deleted"
        sent = self.mailer.send_once(
            event_id,
            email,
            Email(subject="Welcome to Commerce", text="Your account is ready. Happy shopping!"),
        )
        return "sent" if sent else "already sent"

    def forget(self, user_id: str) -> str:
        self.contacts.erase(user_id)
        return "erased"

    def notify_order(self, user_id: str, email: Email, *, event_id: str) -> str:
        contact = self.contacts.get(user_id)
        if contact is None or contact.status is not ContactStatus.ACTIVE or not contact.email:
            return "skipped: no contact"
        return "sent" if self.mailer.send_once(event_id, contact.email, email) else "already sent"
