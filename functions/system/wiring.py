"""The system functions' use cases, built from the function's environment (see commerce.wiring)."""

from __future__ import annotations

import os

from commerce.wiring import Provider
from system.api_document import OpenAPIFile
from system.bus import EventBridgePublisher
from system.service import ApiDocumentation, Health, OutboxRelay

health = Provider(lambda: Health(version=os.environ.get("APP_VERSION", "unknown")))
api_documentation = Provider(lambda: ApiDocumentation(source=OpenAPIFile.from_env()))
outbox_relay = Provider(lambda: OutboxRelay(publisher=EventBridgePublisher.from_env()))
