"""The inventory functions' use cases, built from the function's environment (see commerce.wiring)."""

from __future__ import annotations

import os

from commerce.wiring import Provider
from inventory.domain import AUTO_SHARDS_MAX
from inventory.service import Inventory
from inventory.store import DynamoInventoryStore

#: How many shards a throttled product may grow to by itself (0: never; docs/decisions.md §24).
AUTO_SHARDS_ENV = "AUTO_SHARDS_MAX"

inventory = Provider(
    lambda: Inventory(
        store=DynamoInventoryStore.from_env(),
        auto_shards_max=int(os.environ.get(AUTO_SHARDS_ENV) or AUTO_SHARDS_MAX),
    )
)
