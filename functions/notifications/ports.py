"""What the notifications use cases need: the contact projection, the mail sender, the contact key."""

from __future__ import annotations

from typing import Protocol

from notifications.domain import Contact, Email


class ContactStore(Protocol):
    def get(self, user_id: str) -> Contact | None: ...

    def add(self, user_id: str, email: str) -> bool:
        """Store an address unless the user is known (duplicate) or erased; True when stored."""

    def erase(self, user_id: str) -> None:
        """Forget the address for good (a tombstone without personal data remains)."""


class Mailer(Protocol):
    def send_once(self, event_id: str, to: str, email: Email) -> bool:
        """Send unless this event id was sent already; True when this call sent it."""


class ContactKey(Protocol):
    def decrypt(self, user_id: str, ciphertext: str) -> str:
        """The address identity encrypted for us; `UnreadableContact` if it cannot be read."""
        ...
