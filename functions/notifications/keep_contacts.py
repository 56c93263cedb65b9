"""UserRegistered → keep the (decrypted) contact address and send a welcome email once;
UserDeleted → erase the address for good. Only this function may decrypt with the contact key."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.consumer import Delivery, InvalidEvent, consume
from commerce.events import UserDeleted, UserRegistered
from commerce.observability import logger, metrics, tracer
from notifications.domain import forget, welcome
from notifications.mailer import SesMailer, decrypt_contact
from notifications.store import DynamoContactStore


def handler_for(context: Any) -> Any:
    def handle(delivery: Delivery) -> None:
        store = DynamoContactStore()
        if isinstance(delivery.data, UserDeleted):
            outcome = forget(store, delivery.data.userId)
        else:
            user: UserRegistered = delivery.data
            if not user.contact:
                logger.info("no contact to keep", extra={"user_id": user.userId})
                return
            try:
                email = decrypt_contact(user.userId, user.contact)
            except Exception as exc:
                code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
                if code in {"InvalidCiphertextException", "IncorrectKeyException"} or isinstance(
                    exc, ValueError
                ):
                    raise InvalidEvent(
                        f"contact of {user.userId} cannot be decrypted ({code or 'malformed'})"
                    ) from exc
                raise
            outcome = welcome(store, SesMailer(context), user.userId, email, event_id=delivery.event_id)
        logger.info("contact", extra={"user_id": delivery.data.userId, "outcome": outcome})

    return handle


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consume(
        event,
        context,
        handler_for(context),
        accepts={"UserRegistered": UserRegistered, "UserDeleted": UserDeleted},
    )
