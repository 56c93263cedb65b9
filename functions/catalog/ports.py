"""What the catalog use cases need from the outside world: the product table."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel

from commerce.dynamodb import Page
from commerce.stock import Cells, Reshard


class VersionConflict(Exception):
    """The product changed (or vanished) between the read and the write."""


class ProductStore(Protocol):
    def get(self, product_id: str) -> tuple[dict[str, Any], int] | None:
        """(product, version), or None; the product's `stock` is its true total (all its cells)."""
        ...

    def get_for_change(self, product_id: str) -> tuple[dict[str, Any], Cells] | None:
        """The product and its stock cells as one consistent snapshot (for a PATCH), or None."""
        ...

    def page(self, limit: int, cursor: str | None) -> Page:
        """Up to `limit` products oldest first (`Page.items` are products), and the next cursor."""
        ...

    def create(self, product: dict[str, Any], event: BaseModel, *, correlation_id: str) -> None:
        """The new product and its ProductCreated event, in one transaction."""
        ...

    def update(
        self,
        product: dict[str, Any],
        changed: tuple[str, ...],
        *,
        expected_version: int,
        event: BaseModel,
        correlation_id: str,
        cells: Cells | None = None,
        reshard: Reshard | None = None,
    ) -> int:
        """Write `changed` fields if the version is still `expected_version` (and move the stock
        between `cells` as `reshard` plans), with ProductUpdated; the new version, or
        `VersionConflict`."""
        ...
