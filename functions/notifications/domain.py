"""What to tell a customer, and when not to.

One email per customer-facing event (`UserRegistered`, `OrderConfirmed`, `OrderRejected`,
`OrderCancelled`, `OrderShipped`), to the address in the service's own contact projection. A user
who deleted their account gets nothing, and a late `UserRegistered` does not bring their address
back. Repeats of the same event send nothing (the sender runs once per event id). The use cases
are in notifications.service.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from commerce.errors import Rejected
from commerce.money import UnknownCurrency, format_major


class ContactStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ERASED = "ERASED"


@dataclass(frozen=True)
class Contact:
    user_id: str
    status: ContactStatus
    email: str = ""


class UnreadableContact(Rejected):
    """The contact carried by UserRegistered cannot be decrypted: no retry will change that."""


class Undeliverable(Rejected):
    """The mail service refused the message for good (e.g. an unverified recipient in the sandbox)."""


@dataclass(frozen=True)
class Email:
    subject: str
    text: str


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


def format_money(amount: int, currency: str) -> str:
    """Minor units for people, with the currency's own decimals (JPY none, KWD three)."""
    try:
        return format_major(amount, currency)
    except UnknownCurrency:
        return f"{amount} {currency} (minor units)"
