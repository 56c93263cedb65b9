"""A product's stock cells, shared by the catalog and inventory functions (one bounded context,
docs/decisions.md §1 and §24): where the units are, what the total is, and how they move between
cells when a product is resharded. Pure: no AWS here (commerce.stock_store reads and writes them).

    PRODUCT#<productId> / PRODUCT       the product item; `stock` is its own cell (the base),
                                        `stockShards` N (absent: 1), `version`
    STOCK#<productId>#<k> / STOCK       shard k < N (only when N >= 2): `stock`, `productId`

N = 1 is the layout every product had before sharding: the product item holds all of its stock.
With N >= 2 the units live in N shard items, each its own DynamoDB partition (one item takes at
most ~500 transactional writes a second: docs/capacity.md), and the base holds what is left over
(units returned by a release, or kept back while a product was sharded live). The true stock is
always base + the shards below N; shards at N or above hold nothing (a shrink empties them in the
transaction that lowers N).

Moving units between cells is one transaction. Two kinds of plan:
- `grow` (more shards, total unchanged) moves units with *relative* updates (`stock = stock - :x`
  if `stock >= :x`, `stock = stock + :x`), each source keeping its share, so it commutes with
  reservations taken meanwhile and succeeds while the product is selling: nothing is lost or
  created whatever interleaves, since every unit taken from one cell is added to another.
- `rebalance` (fewer shards, or an admin setting the total) writes absolute values, each guarded by
  the value it read (`stock = :observed`, the product item by its `version`), so it applies only if
  nothing moved since the read, and is retried on a fresh read otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_SHARDS = 32
PRODUCT_SK = "PRODUCT"
SHARD_SK = "STOCK"


def product_pk(product_id: str) -> str:
    return f"PRODUCT#{product_id}"


def shard_pk(product_id: str, shard: int) -> str:
    return f"STOCK#{product_id}#{shard}"


@dataclass(frozen=True)
class Cells:
    """Where a product's units are, as read: the base (product item) and each shard below N."""

    product_id: str
    shards: int  # N; 1 = unsharded
    base: int
    version: int
    shard_stock: tuple[int | None, ...] = ()  # per shard k < N; None: the item does not exist

    @property
    def total(self) -> int:
        return self.base + sum(stock or 0 for stock in self.shard_stock)

    def stock_of(self, shard: int) -> int:
        return (self.shard_stock[shard] or 0) if shard < len(self.shard_stock) else 0


@dataclass(frozen=True)
class CellChange:
    """One cell's part of a reshard: a relative `delta`, or an absolute `value` guarded by `expected`
    (the value read; None: the shard item did not exist). `shard` None is the base."""

    shard: int | None
    delta: int = 0
    value: int | None = None
    expected: int | None = None
    delete: bool = False


@dataclass(frozen=True)
class Reshard:
    shards: int  # N after
    changes: tuple[CellChange, ...]
    exact: bool  # absolute values (rebalance) rather than relative moves (grow)
    total: int  # the stock after, as planned (exact), or as read (grow)


def distribute(total: int, parts: int, start: int = 0) -> list[int]:
    """`total` in `parts` shares that differ by at most one; the extra units go to the parts from
    `start` on (so successive spreads do not always favour part 0)."""
    if parts <= 0:
        raise ValueError("parts must be positive")
    share, extra = divmod(max(0, total), parts)
    return [share + (1 if (index - start) % parts < extra else 0) for index in range(parts)]


def check_shards(shards: int) -> int:
    if not 1 <= shards <= MAX_SHARDS:
        raise ValueError(f"stockShards must be 1..{MAX_SHARDS}")
    return shards


def grow(cells: Cells, shards: int) -> Reshard:
    """More shards, the same units: every existing cell keeps `total // (shards + 1)` (the base
    counted as a cell, so its share is slack for reservations taken during the move) and gives the
    rest, which the new shards share."""
    check_shards(shards)
    if shards <= cells.shards:
        raise ValueError("grow needs more shards than the product has")
    keep = cells.total // (shards + 1)
    changes: list[CellChange] = []
    pool = 0
    given = max(0, cells.base - keep)
    if given:
        changes.append(CellChange(shard=None, delta=-given))
        pool += given
    existing = cells.shards if cells.shards >= 2 else 0
    for shard in range(existing):
        given = max(0, cells.stock_of(shard) - keep)
        if given:
            changes.append(CellChange(shard=shard, delta=-given))
            pool += given
    for offset, share in enumerate(distribute(pool, shards - existing)):
        if share:
            changes.append(CellChange(shard=existing + offset, delta=share))
    return Reshard(shards=shards, changes=tuple(changes), exact=False, total=cells.total)


def rebalance(cells: Cells, shards: int, total: int | None = None) -> Reshard:
    """`shards` shards holding `total` units (default: the units there are), evenly; the base empty
    (or, unsharded, holding them all). Every cell is written with its new value, guarded by the
    value read; shards no longer used are deleted."""
    check_shards(shards)
    target = cells.total if total is None else total
    if target < 0:
        raise ValueError("stock cannot be negative")
    changes: list[CellChange] = []
    if shards == 1:
        changes.append(CellChange(shard=None, value=target, expected=cells.base))
        targets: list[int] = []
    else:
        changes.append(CellChange(shard=None, value=0, expected=cells.base))
        targets = distribute(target, shards)
    existing = cells.shards if cells.shards >= 2 else 0
    for shard in range(max(existing, len(targets))):
        observed = cells.shard_stock[shard] if shard < existing else 0
        if shard < len(targets):
            changes.append(CellChange(shard=shard, value=targets[shard], expected=observed))
        else:
            changes.append(CellChange(shard=shard, delete=True, expected=observed))
    return Reshard(shards=shards, changes=tuple(changes), exact=True, total=target)


def plan(cells: Cells, *, shards: int | None = None, total: int | None = None) -> Reshard | None:
    """What an admin's `stockShards` / `stock` ask of a product's cells (None: nothing to move).
    Growing alone is live-safe; a shrink or a new total is exact."""
    target_shards = cells.shards if shards is None else check_shards(shards)
    if total is None and target_shards == cells.shards:
        return None
    if total is None and target_shards > cells.shards:
        return grow(cells, target_shards)
    return rebalance(cells, target_shards, total)


def apply(cells: Cells, reshard: Reshard) -> Cells:
    """The cells after `reshard`, had nothing moved since they were read (for tests and the model)."""
    base = cells.base
    stock = {shard: cells.stock_of(shard) for shard in range(max(cells.shards, reshard.shards))}
    for change in reshard.changes:
        if change.shard is None:
            base = change.value if change.value is not None else base + change.delta
        elif change.delete:
            stock[change.shard] = 0
        else:
            current = stock.get(change.shard, 0)
            stock[change.shard] = change.value if change.value is not None else current + change.delta
    shard_stock = tuple(stock.get(k, 0) for k in range(reshard.shards)) if reshard.shards >= 2 else ()
    return Cells(cells.product_id, reshard.shards, base, cells.version + 1, shard_stock)
