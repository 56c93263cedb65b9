"""A product's stock cells in DynamoDB (the layout and plans are commerce.stock): the reads that
give the true total and the transaction items of a reshard, for the catalog and inventory stores.
No business rules here."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from commerce.aws import dynamodb
from commerce.dynamodb import Throttled
from commerce.retry import delays
from commerce.stock import PRODUCT_SK, SHARD_SK, CellChange, Cells, Reshard, product_pk, shard_pk

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

BATCH_KEYS = 100  # BatchGetItem's and TransactGetItems' limit
UNPROCESSED_ATTEMPTS = 5


def product_key(product_id: str) -> dict[str, Any]:
    return {"pk": {"S": product_pk(product_id)}, "sk": {"S": PRODUCT_SK}}


def shard_key(product_id: str, shard: int) -> dict[str, Any]:
    return {"pk": {"S": shard_pk(product_id, shard)}, "sk": {"S": SHARD_SK}}


def _number(item: Mapping[str, Any], name: str, default: int) -> int:
    value = item.get(name)
    return int(value["N"]) if value and "N" in value else default


def shards_of(item: Mapping[str, Any]) -> int:
    """N of a product item (low-level attribute values): 1 when `stockShards` is absent."""
    return max(1, _number(item, "stockShards", 1))


def cells_from(
    product_id: str, product: Mapping[str, Any], shards: Mapping[int, Mapping[str, Any] | None]
) -> Cells:
    count = shards_of(product)
    shard_stock: list[int | None] = []
    for shard in range(count if count >= 2 else 0):
        item = shards.get(shard)
        shard_stock.append(None if item is None else _number(item, "stock", 0))
    return Cells(
        product_id=product_id,
        shards=count,
        base=_number(product, "stock", 0),
        version=_number(product, "version", 1),
        shard_stock=tuple(shard_stock),
    )


def read_cells(table: str, product_id: str) -> Cells | None:
    """The product's cells as one consistent snapshot, or None if there is no such product."""
    found = read_product(table, product_id)
    return found[1] if found else None


def read_product(
    table: str, product_id: str, *, item: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], Cells] | None:
    """The product item (low-level) and its cells as one consistent snapshot, or None.

    Unsharded: one strongly consistent GetItem (or `item`, already read). Sharded: the product
    item and its shards in one TransactGetItems, so the total is exact even while units move."""
    client = dynamodb()
    for _ in range(3):  # resharded between the two reads: read again
        if item is None:
            item = client.get_item(TableName=table, Key=product_key(product_id), ConsistentRead=True).get(
                "Item"
            )
        if not item:
            return None
        count = shards_of(item)
        if count < 2:
            return dict(item), cells_from(product_id, item, {})
        keys = [product_key(product_id)] + [shard_key(product_id, k) for k in range(count)]
        responses = client.transact_get_items(
            TransactItems=[{"Get": {"TableName": table, "Key": key}} for key in keys]
        )["Responses"]
        product = responses[0].get("Item")
        if not product:
            return None
        if shards_of(product) == count:
            return dict(product), cells_from(
                product_id, product, {k: responses[k + 1].get("Item") for k in range(count)}
            )
        item = None
    raise Throttled(f"product {product_id} kept being resharded while read")


def batch_get(table: str, keys: list[dict[str, Any]], *, consistent: bool = False) -> list[dict[str, Any]]:
    """Every item of `keys` that exists, retrying the keys DynamoDB returns unprocessed (throttled)
    with backoff; `Throttled` if some stay unprocessed."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), BATCH_KEYS):
        request: Any = {table: {"Keys": keys[start : start + BATCH_KEYS], "ConsistentRead": consistent}}
        waits = delays(UNPROCESSED_ATTEMPTS, base=0.05, cap=0.5)
        while request:
            response: Any = dynamodb().batch_get_item(RequestItems=request)
            found += response.get("Responses", {}).get(table, [])
            request = response.get("UnprocessedKeys") or {}
            if request:
                wait = next(waits, None)
                if wait is None:
                    raise Throttled(f"BatchGetItem kept returning unprocessed keys of {table}")
                time.sleep(wait)
    return found


def sharded_totals(table: str, products: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """The true stock of each sharded product among `products` (low-level product items): its base
    plus its shards, read with eventually consistent BatchGetItem (a listing, cached for 30 s)."""
    sharded = {
        str(item["productId"]["S"]): (shards_of(item), _number(item, "stock", 0))
        for item in products
        if shards_of(item) >= 2 and "productId" in item
    }
    keys = [shard_key(pid, k) for pid, (count, _) in sharded.items() for k in range(count)]
    totals = {pid: base for pid, (_, base) in sharded.items()}
    for shard in batch_get(table, keys):
        product_id = str(shard["productId"]["S"])
        if product_id in totals:
            totals[product_id] += _number(shard, "stock", 0)
    return totals


def _shard_condition(change: CellChange, values: dict[str, Any]) -> str:
    if change.expected is None:
        return "attribute_not_exists(pk)"
    if change.expected == 0:
        values[":zero"] = {"N": "0"}
        return "attribute_not_exists(stock) OR stock = :zero"
    values[":expected"] = {"N": str(change.expected)}
    return "stock = :expected"


def _shard_item(table: str, product_id: str, change: CellChange) -> TransactWriteItemTypeDef:
    assert change.shard is not None
    key = shard_key(product_id, change.shard)
    values: dict[str, Any] = {}
    if change.delete:
        condition = _shard_condition(change, values)
        delete: Any = {"TableName": table, "Key": key, "ConditionExpression": condition}
        if values:
            delete["ExpressionAttributeValues"] = values
        return {"Delete": delete}
    values[":pid"] = {"S": product_id}
    if change.value is not None:
        values[":value"] = {"N": str(change.value)}
        update = "SET stock = :value, productId = :pid"
        condition = _shard_condition(change, values)
    elif change.delta >= 0:
        values[":delta"] = {"N": str(change.delta)}
        values[":zero"] = {"N": "0"}
        update = "SET stock = if_not_exists(stock, :zero) + :delta, productId = :pid"
        condition = ""
    else:
        values[":delta"] = {"N": str(-change.delta)}
        update = "SET stock = stock - :delta, productId = :pid"
        condition = "stock >= :delta"
    entry: Any = {
        "TableName": table,
        "Key": key,
        "UpdateExpression": update,
        "ExpressionAttributeValues": values,
    }
    if condition:
        entry["ConditionExpression"] = condition
    return {"Update": entry}


def reshard_transaction(
    table: str,
    cells: Cells,
    reshard: Reshard,
    *,
    fields: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> list[TransactWriteItemTypeDef]:
    """The TransactWriteItems items of `reshard` (the product item first, then its shards). `fields`
    (name → low-level value) are set on the product item in the same update; `expected_version`
    guards it (an exact reshard is always guarded by the version read)."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    sets: list[str] = []
    conditions = ["attribute_exists(pk)"]
    for index, (name, value) in enumerate(sorted((fields or {}).items())):
        names[f"#f{index}"] = name
        values[f":f{index}"] = value
        sets.append(f"#f{index} = :f{index}")
    base = next((change for change in reshard.changes if change.shard is None), None)
    if base is not None and base.value is not None:
        values[":base"] = {"N": str(base.value)}
        sets.append("stock = :base")
    elif base is not None and base.delta:
        values[":take"] = {"N": str(-base.delta)}
        sets.append("stock = stock - :take")
        conditions.append("stock >= :take")
    removes: list[str] = []
    if reshard.shards != cells.shards:
        if reshard.shards == 1:
            removes.append("stockShards")
        else:
            values[":shards"] = {"N": str(reshard.shards)}
            sets.append("stockShards = :shards")
    guard = cells.version if reshard.exact and expected_version is None else expected_version
    if guard is not None:
        values[":expected_version"] = {"N": str(guard)}
        values[":next_version"] = {"N": str(guard + 1)}
        sets.append("version = :next_version")
        conditions.append("version = :expected_version")
        adds = ""
    else:
        values[":one"] = {"N": "1"}
        adds = " ADD version :one"
        if cells.shards == 1:
            conditions.append("attribute_not_exists(stockShards)")
        else:
            values[":current_shards"] = {"N": str(cells.shards)}
            conditions.append("stockShards = :current_shards")
    expression = ("SET " + ", ".join(sets) if sets else "") + (
        " REMOVE " + ", ".join(removes) if removes else ""
    )
    product: Any = {
        "TableName": table,
        "Key": product_key(cells.product_id),
        "UpdateExpression": (expression + adds).strip(),
        "ConditionExpression": " AND ".join(f"({c})" for c in conditions),
        "ExpressionAttributeValues": values,
    }
    if names:
        product["ExpressionAttributeNames"] = names
    items: list[TransactWriteItemTypeDef] = [{"Update": product}]
    items += [
        _shard_item(table, cells.product_id, change) for change in reshard.changes if change.shard is not None
    ]
    return items
