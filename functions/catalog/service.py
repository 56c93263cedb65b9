"""Catalog use cases: what each route does, in terms of the rules (catalog.domain) and the port."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalog import domain
from catalog.ports import ProductStore, VersionConflict
from commerce import stock
from commerce.events import Money, ProductCreated, ProductUpdated

UPDATE_ATTEMPTS = 3


def _event_data(model: type[ProductCreated] | type[ProductUpdated], product: dict[str, Any]) -> Any:
    return model(
        productId=product["productId"],
        name=product["name"],
        price=Money(**product["price"]),
        stock=product["stock"],
    )


@dataclass(frozen=True)
class Catalog:
    store: ProductStore

    def list_products(self, limit: int, cursor: str | None) -> dict[str, Any]:
        page = self.store.page(limit, cursor)
        return {"items": page.items, "nextCursor": page.next_cursor}

    def get_product(self, product_id: str) -> dict[str, Any]:
        found = self.store.get(product_id)
        if found is None:
            raise domain.ProductNotFound()
        return found[0]

    def create_product(
        self, fields: dict[str, Any], *, correlation_id: str, product_id: str | None = None
    ) -> dict[str, Any]:
        """A new product; its id is new unless given (the local stack's demo data has fixed ids)."""
        product = domain.new_product(fields, product_id=product_id)
        self.store.create(product, _event_data(ProductCreated, product), correlation_id=correlation_id)
        return product

    def update_product(
        self, product_id: str, changes: dict[str, Any], *, correlation_id: str
    ) -> dict[str, Any]:
        """Apply an admin's PATCH under optimistic locking; a concurrent change is retried on the
        fresh item, so stock moved by a reservation in between is never overwritten by stale data.

        `stock` sets the product's total and `stockShards` how many shard items hold it
        (commerce.stock): more shards alone move the units live, beside the reservations; fewer
        shards or a new total are written exactly, guarded by every cell read (409 if the product
        keeps selling meanwhile: shrink after a sale)."""
        changed = domain.changed_fields(changes)
        fields = tuple(field for field in changed if field != "stock")
        for _ in range(UPDATE_ATTEMPTS):
            found = self.store.get_for_change(product_id)
            if found is None:
                raise domain.ProductNotFound()
            current, cells = found
            reshard = stock.plan(cells, shards=changes.get("stockShards"), total=changes.get("stock"))
            if not changed and reshard is None:
                return current  # nothing to change: no write, no event
            updated = domain.apply_changes(current, changes)
            if reshard is not None:
                updated["stock"] = reshard.total
            try:
                self.store.update(
                    updated,
                    fields,
                    expected_version=cells.version,
                    event=_event_data(ProductUpdated, updated),
                    correlation_id=correlation_id,
                    cells=cells,
                    reshard=reshard,
                )
            except VersionConflict:
                continue
            return updated
        raise domain.ConcurrentChange()
