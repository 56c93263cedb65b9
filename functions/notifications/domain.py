"""What to tell a customer, and when not to.

One email per customer-facing event (`UserRegistered`, `OrderConfirmed`, `OrderRejected`,
`OrderCancelled`, `OrderShipped`), to the address in the service's own contact projection. A user
who deleted their account gets nothing, and a late `UserRegistered` does not bring their address
back. Repeats of the same event send nothing (the sender runs once per event id).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class ContactStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ERASED = "ERASED"


@dataclass(frozen=True)
class Contact:
    user_id: str
    status: ContactStatus
    email: str = ""


@dataclass(frozen=True)
class Email:
    subject: str
    text: str


class ContactStore(Protocol):
    def get(self, user_id: str) -> Contact | None: ...

    def add(self, user_id: str, email: str) -> bool:
        """Store an address unless the user is known (duplicate) or erased; True when stored."""

    def erase(self, user_id: str) -> None:
        """Forget the address for good (a tombstone without personal data remains)."""


class Mailer(Protocol):
    def send_once(self, event_id: str, to: str, email: Email) -> bool:
        """Send unless this event id was sent already; True when this call sent it."""


def welcome(contact_store: ContactStore, mailer: Mailer, user_id: str, email: str, *, event_id: str) -> str:
    if not contact_store.add(user_id, email):
        known = contact_store.get(user_id)
        if known is None or known.status is ContactStatus.ERASED:
            return "skipped: user deleted"
    sent = mailer.send_once(
        event_id,
        email,
        Email(subject="Welcome to Commerce", text="Your account is ready. Happy shopping!"),
    )
    return "sent" if sent else "already sent"


def forget(contact_store: ContactStore, user_id: str) -> str:
    contact_store.erase(user_id)
    return "erased"


def order_email(event_name: str, order_id: str, total: str, detail: str = "") -> Email:
    short = order_id[:8]
    if event_name == "OrderConfirmed":
        return Email(f"Order {short} confirmed", f"Thank you! Order {order_id} ({total}) is confirmed.")
    if event_name == "OrderRejected":
        return Email(
            f"Order {short} could not be placed",
            f"Sorry, order {order_id} could not be fulfilled (some items are out of stock). "
            "You have not been charged.",
        )
    if event_name == "OrderCancelled":
        return Email(
            f"Order {short} cancelled",
            f"Order {order_id} ({total}) was cancelled. Any payment taken is refunded.",
        )
    if event_name == "OrderShipped":
        return Email(f"Order {short} shipped", f"Order {order_id} is on its way. {detail}".strip())
    raise ValueError(f"no email for {event_name}")


def notify_order(
    contact_store: ContactStore, mailer: Mailer, user_id: str, email: Email, *, event_id: str
) -> str:
    contact = contact_store.get(user_id)
    if contact is None or contact.status is not ContactStatus.ACTIVE or not contact.email:
        return "skipped: no contact"
    return "sent" if mailer.send_once(event_id, contact.email, email) else "already sent"


def format_money(amount: int, currency: str) -> str:
    return f"{amount / 100:.2f} {currency}"
