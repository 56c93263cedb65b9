"""The catalog table adapter (DynamoDB, low-level client). No business rules here.

Product item: pk `PRODUCT#<productId>`, sk `PRODUCT`, the product's fields (`price` a map of
{amount, currency}; `stock` a top-level number that the inventory consumers update in place with
conditional `stock >= :q` writes and `ADD version :one`), `version`, and the listing index keys
gsi1pk `PRODUCT` / gsi1sk `<createdAt>#<productId>`. A sharded product (`stockShards` >= 2) keeps
most of its units in shard items (commerce.stock): its `stock` as the API shows it is the product
item's plus its shards', read with the product (commerce.stock_store).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from catalog.ports import VersionConflict
from commerce.aws import dynamodb
from commerce.dynamodb import Page, TableAdapter, cancellation_reasons, query_page
from commerce.items import plain_item, to_attribute_values
from commerce.outbox import outbox_put
from commerce.stock import Cells, Reshard
from commerce.stock_store import read_product, reshard_transaction, sharded_totals, shards_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

PRODUCT_SK = "PRODUCT"
LIST_PARTITION = "PRODUCT"
LIST_INDEX = "gsi1"
KEY_ATTRIBUTES = ("pk", "sk", "gsi1pk", "gsi1sk")
LIST_SCOPE = "catalog:products"  # what a list cursor is bound to (docs/decisions.md §8)


def product_key(product_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"PRODUCT#{product_id}"}, "sk": {"S": PRODUCT_SK}}


def _product(item: dict[str, Any]) -> dict[str, Any]:
    record = plain_item(item)
    product = {
        "productId": record["productId"],
        "name": record["name"],
        "description": record.get("description", ""),
        "price": record["price"],
        "stock": record["stock"],
        "createdAt": record["createdAt"],
        "updatedAt": record["updatedAt"],
    }
    return {"product": product, "version": record.get("version", 1)}


class DynamoProductStore(TableAdapter):
    def get(self, product_id: str) -> tuple[dict[str, Any], int] | None:
        """(product, version) or None. One GetItem; for a sharded product, then one
        TransactGetItems of it and its shards (the true total, as one snapshot)."""
        item = dynamodb().get_item(TableName=self.table, Key=product_key(product_id)).get("Item")
        if not item:
            return None
        if shards_of(item) < 2:
            found = _product(item)
            return found["product"], found["version"]
        read = read_product(self.table, product_id, item=item)
        if read is None:
            return None
        product = _product(read[0])["product"]
        product["stock"] = read[1].total
        return product, read[1].version

    def get_for_change(self, product_id: str) -> tuple[dict[str, Any], Cells] | None:
        """The product (its true total) and its cells, strongly consistent, as one snapshot."""
        read = read_product(self.table, product_id)
        if read is None:
            return None
        product = _product(read[0])["product"]
        product["stock"] = read[1].total
        return product, read[1]

    def page(self, limit: int, cursor: str | None) -> Page:
        """Up to `limit` products oldest first (one Query on gsi1), and the cursor to the next page."""
        page = query_page(
            self.table,
            index=LIST_INDEX,
            partition=("gsi1pk", LIST_PARTITION),
            limit=limit,
            cursor=cursor,
            scope=LIST_SCOPE,
            key_attributes=KEY_ATTRIBUTES,
        )
        totals = sharded_totals(self.table, page.items)
        products = [_product(item)["product"] for item in page.items]
        for product in products:
            product["stock"] = totals.get(product["productId"], product["stock"])
        return Page(products, page.next_cursor)

    def create(self, product: dict[str, Any], event: BaseModel, *, correlation_id: str) -> None:
        """Put the new product and its ProductCreated outbox entry in one transaction."""
        item = {
            "pk": f"PRODUCT#{product['productId']}",
            "sk": PRODUCT_SK,
            "entity": "Product",
            **product,
            "version": 1,
            "gsi1pk": LIST_PARTITION,
            "gsi1sk": f"{product['createdAt']}#{product['productId']}",
        }
        dynamodb().transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_attribute_values(item),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                outbox_put(self.table, "ProductCreated", event, correlation_id=correlation_id),
            ]
        )

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
        """Set only the `changed` fields (+ updatedAt) if the version is still `expected_version`,
        with the ProductUpdated outbox entry, in one transaction. Returns the new version.

        With `reshard`, the same transaction moves the stock between `cells` as planned; it is
        guarded by the version when fields change or the plan is exact, and otherwise (more shards
        alone) only by the moves' own conditions, so it commutes with reservations."""
        if reshard is not None and cells is not None:
            return self._update_with_stock(
                product, changed, expected_version, cells, reshard, event, correlation_id
            )
        names = {f"#{field}": field for field in (*changed, "updatedAt")}
        values = {
            f":{field}": to_attribute_values({"v": product[field]})["v"] for field in (*changed, "updatedAt")
        }
        assignments = [f"#{field} = :{field}" for field in (*changed, "updatedAt")]
        values[":expected"] = {"N": str(expected_version)}
        values[":next"] = {"N": str(expected_version + 1)}
        try:
            dynamodb().transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": product_key(product["productId"]),
                            "UpdateExpression": "SET " + ", ".join([*assignments, "version = :next"]),
                            "ConditionExpression": "attribute_exists(pk) AND version = :expected",
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": values,
                        }
                    },
                    outbox_put(self.table, "ProductUpdated", event, correlation_id=correlation_id),
                ]
            )
        except Exception as error:
            if cancellation_reasons(error):  # the version moved, or a concurrent write is in flight
                raise VersionConflict() from error
            raise
        return expected_version + 1

    def _update_with_stock(
        self,
        product: dict[str, Any],
        changed: tuple[str, ...],
        expected_version: int,
        cells: Cells,
        reshard: Reshard,
        event: BaseModel,
        correlation_id: str,
    ) -> int:
        fields = {field: to_attribute_values({"v": product[field]})["v"] for field in (*changed, "updatedAt")}
        guarded = bool(changed) or reshard.exact
        items: list[TransactWriteItemTypeDef] = reshard_transaction(
            self.table, cells, reshard, fields=fields, expected_version=expected_version if guarded else None
        )
        items.append(outbox_put(self.table, "ProductUpdated", event, correlation_id=correlation_id))
        try:
            dynamodb().transact_write_items(TransactItems=items)
        except Exception as error:
            if cancellation_reasons(error):  # a cell or the version moved, or a write is in flight
                raise VersionConflict() from error
            raise
        return expected_version + 1
