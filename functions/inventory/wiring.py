"""The inventory functions' use cases, built from the function's environment (see commerce.wiring)."""

from __future__ import annotations

from commerce.wiring import Provider
from inventory.service import Inventory
from inventory.store import DynamoInventoryStore

inventory = Provider(lambda: Inventory(store=DynamoInventoryStore.from_env()))
