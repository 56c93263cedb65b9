"""UserRegistered → keep the (decrypted) contact address and send a welcome email once;
UserDeleted → erase the address for good. Only this function may decrypt with the contact key."""

from __future__ import annotations

from commerce.consumer import Delivery, InvalidEvent, consumer
from commerce.events import UserDeleted, UserRegistered
from commerce.observability import logger
from notifications.domain import Undeliverable, UnreadableContact
from notifications.wiring import notifications


def handle(delivery: Delivery) -> None:
    if isinstance(delivery.data, UserDeleted):
        outcome = notifications().forget(delivery.data.userId)
    else:
        user: UserRegistered = delivery.data
        if not user.contact:
            logger.info("no contact to keep", extra={"user_id": user.userId})
            return
        try:
            outcome = notifications().keep_contact(user.userId, user.contact, event_id=delivery.event_id)
        except (UnreadableContact, Undeliverable) as refused:
            raise InvalidEvent(refused.detail) from refused
    logger.info("contact", extra={"user_id": delivery.data.userId, "outcome": outcome})


lambda_handler = consumer(handle, accepts={"UserRegistered": UserRegistered, "UserDeleted": UserDeleted})
