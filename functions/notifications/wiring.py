"""The notifications functions' use cases, built from the function's environment (commerce.wiring)."""

from __future__ import annotations

from commerce.wiring import Provider
from notifications.contact_key import KmsContactKey
from notifications.mailer import SesMailer
from notifications.service import Notifications
from notifications.store import DynamoContactStore

notifications = Provider(
    lambda: Notifications(
        contacts=DynamoContactStore.from_env(),
        mailer=SesMailer.from_env(),
        contact_key=KmsContactKey.from_env(),
    )
)
