"""Catalog use cases: what each route does, in terms of the domain rules and the table adapter."""

from __future__ import annotations

from typing import Any

from catalog import domain
from catalog.store import CatalogStore, VersionConflict
from commerce.cursor import decode_cursor, encode_cursor
from commerce.events import Money, ProductCreated, ProductUpdated
from commerce.problems import Conflict, NotFound

LIST_SCOPE = "catalog:products"
UPDATE_ATTEMPTS = 3


def _event_data(model: type[ProductCreated] | type[ProductUpdated], product: dict[str, Any]) -> Any:
    return model(
        productId=product["productId"],
        name=product["name"],
        price=Money(**product["price"]),
        stock=product["stock"],
    )


def list_products(limit: int, cursor: str | None, store: CatalogStore | None = None) -> dict[str, Any]:
    store = store or CatalogStore()
    start = decode_cursor(cursor, scope=LIST_SCOPE) if cursor is not None else None
    items, last_key = store.page(limit, start)
    return {
        "items": items,
        "nextCursor": encode_cursor(last_key, scope=LIST_SCOPE) if last_key else None,
    }


def get_product(product_id: str, store: CatalogStore | None = None) -> dict[str, Any]:
    found = (store or CatalogStore()).get(product_id)
    if found is None:
        raise NotFound("No such product.")
    return found[0]


def create_product(
    fields: dict[str, Any], *, correlation_id: str, store: CatalogStore | None = None
) -> dict[str, Any]:
    product = domain.new_product(fields)
    (store or CatalogStore()).create(
        product, _event_data(ProductCreated, product), correlation_id=correlation_id
    )
    return product


def update_product(
    product_id: str, changes: dict[str, Any], *, correlation_id: str, store: CatalogStore | None = None
) -> dict[str, Any]:
    """Apply an admin's PATCH under optimistic locking; a concurrent change is retried on the
    fresh item, so stock moved by a reservation in between is never overwritten by stale data."""
    store = store or CatalogStore()
    changed = tuple(
        field for field in ("name", "description", "price", "stock") if changes.get(field) is not None
    )
    for _ in range(UPDATE_ATTEMPTS):
        found = store.get(product_id)
        if found is None:
            raise NotFound("No such product.")
        current, version = found
        if not changed:
            return current  # nothing to change: no write, no event
        updated = domain.apply_changes(current, changes)
        try:
            store.update(
                updated,
                changed,
                expected_version=version,
                event=_event_data(ProductUpdated, updated),
                correlation_id=correlation_id,
            )
        except VersionConflict:
            continue
        return updated
    raise Conflict("The product is being changed concurrently; try again.")
