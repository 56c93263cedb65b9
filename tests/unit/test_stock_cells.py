"""A product's stock cells (commerce.stock): reshard plans keep every unit, and the exact ones land
exactly where they say; properties over any layout of units."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce.stock import MAX_SHARDS, Cells, apply, distribute, grow, plan, rebalance

shard_counts = st.integers(min_value=1, max_value=MAX_SHARDS)


@st.composite
def cells(draw: st.DrawFn) -> Cells:
    shards = draw(shard_counts)
    stock = (
        tuple(draw(st.one_of(st.none(), st.integers(0, 500))) for _ in range(shards)) if shards >= 2 else ()
    )
    return Cells("p", shards, draw(st.integers(0, 500)), draw(st.integers(1, 50)), stock)


def units(c: Cells) -> list[int]:
    return [c.base, *[c.stock_of(k) for k in range(c.shards)]] if c.shards >= 2 else [c.base]


@given(total=st.integers(0, 10_000), parts=shard_counts, start=st.integers(0, 100))
def test_distribute_splits_evenly_and_keeps_the_total(total: int, parts: int, start: int) -> None:
    shares = distribute(total, parts, start % parts)
    assert sum(shares) == total
    assert max(shares) - min(shares) <= 1


@given(before=cells(), extra=st.integers(1, MAX_SHARDS))
def test_growing_keeps_every_unit_and_never_takes_more_than_a_cell_holds(before: Cells, extra: int) -> None:
    target = min(MAX_SHARDS, before.shards + extra)
    if target == before.shards:
        return
    reshard = grow(before, target)
    after = apply(before, reshard)
    assert after.total == before.total
    assert after.shards == target
    assert all(held >= 0 for held in units(after))
    for change in reshard.changes:  # relative moves only: they commute with reservations
        assert change.value is None
        if change.delta < 0:
            held = before.base if change.shard is None else before.stock_of(change.shard)
            assert -change.delta <= held
    if before.shards == 1:  # sharding a product: all but the base's share moves to the shards
        assert after.base <= before.total // (target + 1) + target


@given(before=cells(), target=shard_counts, total=st.one_of(st.none(), st.integers(0, 5_000)))
def test_a_rebalance_lands_exactly_on_its_total_and_guards_every_cell_it_read(
    before: Cells, target: int, total: int | None
) -> None:
    reshard = rebalance(before, target, total)
    after = apply(before, reshard)
    assert after.total == (before.total if total is None else total)
    assert reshard.exact
    if target >= 2:
        assert after.base == 0
        assert max(units(after)[1:]) - min(units(after)[1:]) <= 1
    guarded = {change.shard for change in reshard.changes}
    assert None in guarded
    assert set(range(before.shards if before.shards >= 2 else 0)) <= guarded  # every shard it read
    for change in reshard.changes:
        if change.shard is not None and change.shard < before.shards and before.shards >= 2:
            assert change.expected == before.shard_stock[change.shard]


def test_an_admins_request_picks_the_live_plan_only_for_more_shards_alone() -> None:
    unsharded = Cells("p", 1, 100, 3)
    assert plan(unsharded) is None
    assert plan(unsharded, shards=1) is None
    grown = plan(unsharded, shards=8)
    assert grown is not None
    assert not grown.exact
    restocked = plan(unsharded, total=40)
    assert restocked is not None
    assert restocked.exact
    assert restocked.total == 40
    sharded = Cells("p", 4, 0, 9, (10, 10, 10, 10))
    shrunk = plan(sharded, shards=2)
    assert shrunk is not None
    assert shrunk.exact
    assert [c.shard for c in shrunk.changes if c.delete] == [2, 3]
    with pytest.raises(ValueError, match="stockShards"):
        plan(sharded, shards=MAX_SHARDS + 1)
