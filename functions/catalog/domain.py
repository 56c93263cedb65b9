"""Catalog rules: what a new product is, what an admin's PATCH changes, and the errors they raise.

Pure functions over plain dicts (the product as the API shows it); no AWS, no HTTP.
"""

from __future__ import annotations

import uuid
from typing import Any

from commerce.clock import iso_now
from commerce.errors import Conflict, NotFound

PRODUCT_FIELDS = ("productId", "name", "description", "price", "stock", "createdAt", "updatedAt")
CHANGEABLE_FIELDS = ("name", "description", "price", "stock")


class ProductNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such product.")


class ConcurrentChange(Conflict):
    def __init__(self) -> None:
        super().__init__("The product is being changed concurrently; try again.")


def new_product(
    fields: dict[str, Any], *, now: str | None = None, product_id: str | None = None
) -> dict[str, Any]:
    """A new product from validated POST /products fields."""
    created = now or iso_now()
    return {
        "productId": product_id or str(uuid.uuid4()),
        "name": fields["name"],
        "description": fields.get("description", ""),
        "price": dict(fields["price"]),
        "stock": int(fields["stock"]),
        "createdAt": created,
        "updatedAt": created,
    }


def changed_fields(changes: dict[str, Any]) -> tuple[str, ...]:
    """The fields a PATCH sets (a null or absent field changes nothing)."""
    return tuple(field for field in CHANGEABLE_FIELDS if changes.get(field) is not None)


def apply_changes(
    product: dict[str, Any], changes: dict[str, Any], *, now: str | None = None
) -> dict[str, Any]:
    """`product` with the supplied (non-null) fields of a PATCH applied and `updatedAt` moved on."""
    updated = dict(product)
    for field in changed_fields(changes):
        updated[field] = changes[field]
    updated["updatedAt"] = now or iso_now()
    return updated
