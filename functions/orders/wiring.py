"""The orders functions' use cases, built from the function's environment (see commerce.wiring)."""

from __future__ import annotations

from commerce.wiring import Provider
from orders.service import Orders
from orders.store import DynamoOrderStore

orders = Provider(lambda: Orders(store=DynamoOrderStore.from_env()))
