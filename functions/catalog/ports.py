"""What the catalog use cases need from the outside world: the product table."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel

from commerce.dynamodb import Page


class VersionConflict(Exception):
    """The product changed (or vanished) between the read and the write."""


class ProductStore(Protocol):
    def get(self, product_id: str) -> tuple[dict[str, Any], int] | None:
        """(product, version), or None."""
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
    ) -> int:
        """Write `changed` fields if the version is still `expected_version`, with ProductUpdated;
        the new version, or `VersionConflict`."""
        ...
