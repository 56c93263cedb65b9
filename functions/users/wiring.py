"""The users functions' use cases, built from the function's environment (see commerce.wiring)."""

from __future__ import annotations

from commerce.wiring import Provider
from users.service import Profiles
from users.store import DynamoProfileStore

profiles = Provider(lambda: Profiles(store=DynamoProfileStore.from_env()))
