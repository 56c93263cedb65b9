"""The catalog functions' use cases, built from the function's environment (see commerce.wiring)."""

from __future__ import annotations

from catalog.service import Catalog
from catalog.store import DynamoProductStore
from commerce.wiring import Provider

catalog = Provider(lambda: Catalog(store=DynamoProductStore.from_env()))
