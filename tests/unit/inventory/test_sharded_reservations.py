"""Reservations of a sharded product, model-checked (Hypothesis): whatever the layout of its units and
whatever other environments do between this one's reads and writes, no unit is sold twice, none is
lost, the stock never goes below zero, and an order is refused only when the product lacks its units.

The store below keeps DynamoDB's semantics that the rules rely on (functions/inventory/store.py):
a reservation is one transaction, all of its takes or none, each take conditional on its cell
holding the quantity (`stock >= :q`), a refused take returning what its cell held (ALL_OLD); what
an environment remembers of the cells may be stale; `every_cell` reads them all afresh. Between any
two of the use case's calls to the store, `interference` lets other orders take or return units.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inventory.domain import (
    AlreadyDecided,
    Hot,
    Line,
    NothingToRelease,
    Released,
    ReservationStatus,
    Reserved,
    Short,
    StockBusy,
    StockShape,
)
from inventory.service import Inventory

Cell = int | None
PRODUCT = "p"


class MemoryCells:
    """One product's cells (None: the product item) and the reservations, as the adapter sees them."""

    def __init__(self, cells: dict[Cell, int], remembered: dict[Cell, int]) -> None:
        self.cells = dict(cells)
        self.shards = max(1, len(cells) - 1)
        self.remembered = dict(remembered)  # what this environment saw a moment ago (maybe stale)
        self.reservations: dict[str, tuple[ReservationStatus, tuple[Line, ...], dict[Cell, int]]] = {}
        self.interference: Callable[[MemoryCells], None] = lambda store: None
        self.sold_by_others = 0
        self.hot: set[Cell] = set()  # cells whose writes DynamoDB throttles (a hot partition)
        self.throttled_takes = 0

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    def stock_of(self, product_ids, *, every_cell=False):
        self.interference(self)
        if every_cell or self.shards < 2:
            return {PRODUCT: StockShape(self.shards, dict(self.cells))}
        return {PRODUCT: StockShape(self.shards, dict(self.remembered))}

    def take(self, order_id, lines, takes, *, correlation_id):
        self.interference(self)
        if order_id in self.reservations:
            return AlreadyDecided()
        wanted: dict[Cell, int] = {}
        for take in takes:
            assert take.shard is None or 0 <= take.shard < self.shards, "a take outside the live cells"
            wanted[take.shard] = wanted.get(take.shard, 0) + take.quantity
        throttled = [cell for cell in wanted if cell in self.hot]
        if throttled:  # the whole transaction is cancelled: nothing taken
            self.throttled_takes += 1
            return Hot((PRODUCT,), tuple((PRODUCT, cell) for cell in throttled))
        refused = {cell: self.cells[cell] for cell, quantity in wanted.items() if self.cells[cell] < quantity}
        if refused:
            return Short({(PRODUCT, cell): held for cell, held in refused.items()})
        for cell, quantity in wanted.items():
            self.cells[cell] -= quantity
        self.reservations[order_id] = (ReservationStatus.RESERVED, lines, wanted)
        return Reserved()

    def record_failure(self, order_id, product_ids, reason, *, correlation_id):
        self.interference(self)
        if order_id in self.reservations:
            return False
        self.reservations[order_id] = (ReservationStatus.FAILED, (), {})
        return True

    def release(self, order_id, *, correlation_id):
        status, lines, _ = self.reservations.get(order_id, (None, (), {}))
        if status is not ReservationStatus.RESERVED:
            return NothingToRelease(status)
        self.cells[None] += sum(line.quantity for line in lines)  # releases go to the product item
        self.reservations[order_id] = (ReservationStatus.RELEASED, lines, {})
        return Released(lines)

    def cancel_before_reservation(self, order_id):
        return False

    def reshard(self, product_id, shards):
        return False

    def add_stock(self, product_id, quantity, *, event_id):
        return True


@st.composite
def layouts(draw: st.DrawFn) -> tuple[dict[Cell, int], dict[Cell, int]]:
    shards = draw(st.sampled_from([1, 2, 4, 16, 32]))
    held = st.one_of(st.just(0), st.integers(0, 3), st.integers(0, 40))
    cells: dict[Cell, int] = {None: draw(held)}
    if shards >= 2:
        cells.update({shard: draw(held) for shard in range(shards)})
    stale = st.one_of(st.none(), st.integers(0, 40))
    remembered = {cell: value for cell in cells if (value := draw(stale)) is not None}
    return cells, remembered


@st.composite
def other_environments(draw: st.DrawFn) -> Callable[[MemoryCells], None]:
    """Between calls: another order takes a unit from some cell that has one, or a release returns one."""
    moves = draw(
        st.lists(st.tuples(st.sampled_from(["take", "return", "none"]), st.integers(0, 63)), max_size=20)
    )
    queue = list(moves)

    def interfere(store: MemoryCells) -> None:
        if not queue:
            return
        kind, pick = queue.pop(0)
        if kind == "take":
            stocked = [cell for cell, held in store.cells.items() if held > 0]
            if stocked:
                store.cells[stocked[pick % len(stocked)]] -= 1
                store.sold_by_others += 1
        elif kind == "return" and store.sold_by_others > 0:
            store.cells[None] += 1
            store.sold_by_others -= 1

    return interfere


@settings(max_examples=300, deadline=None)
@given(layout=layouts(), quantities=st.lists(st.integers(1, 6), min_size=1, max_size=30))
def test_orders_one_after_another_sell_exactly_the_units_there_are(
    layout: tuple[dict[Cell, int], dict[Cell, int]], quantities: list[int]
) -> None:
    cells, remembered = layout
    store = MemoryCells(cells, remembered)
    inventory = Inventory(store, auto_shards_max=1)
    initial = store.total
    sold = 0
    for number, quantity in enumerate(quantities):
        before = store.total
        outcome = inventory.reserve(f"o-{number}", [(PRODUCT, quantity)], correlation_id="c")
        # Refused only when the product truly lacks the units; else reserved, whatever was remembered.
        assert outcome == ("reserved" if before >= quantity else "out of stock")
        if outcome == "reserved":
            sold += quantity
        assert min(store.cells.values()) >= 0
        assert store.total == initial - sold
        store.remembered = {}  # a fresh environment's view for the next order: nothing known


@settings(max_examples=300, deadline=None)
@given(data=st.data(), layout=layouts(), quantities=st.lists(st.integers(1, 6), min_size=1, max_size=20))
def test_no_unit_is_sold_twice_or_lost_whatever_interleaves(
    data: st.DataObject, layout: tuple[dict[Cell, int], dict[Cell, int]], quantities: list[int]
) -> None:
    cells, remembered = layout
    store = MemoryCells(cells, remembered)
    store.interference = data.draw(other_environments(), label="other environments")
    inventory = Inventory(store, auto_shards_max=1)
    initial = store.total
    for number, quantity in enumerate(quantities):
        order = f"o-{number}"
        try:
            outcome = inventory.reserve(order, [(PRODUCT, quantity)], correlation_id="c")
        except RuntimeError:  # the stock kept changing under it: retried later by SQS, nothing taken
            outcome = "retried"
            assert order not in store.reservations
        if outcome == "reserved" and data.draw(st.booleans(), label=f"release {order}"):
            assert inventory.release(order, correlation_id="c") == "released"
        assert min(store.cells.values()) >= 0, "oversold: a cell below zero"
        held = sum(
            line.quantity
            for status, lines, _ in store.reservations.values()
            if status is ReservationStatus.RESERVED
            for line in lines
        )
        # Every unit is in exactly one place: a cell, an order's reservation, or another order's.
        assert store.total + held + store.sold_by_others == initial
        for status, lines, taken in store.reservations.values():
            if status is ReservationStatus.RESERVED:
                assert sum(taken.values()) == sum(line.quantity for line in lines)


def test_a_sharded_product_sold_out_is_refused_at_once_not_probed_cell_by_cell() -> None:
    store = MemoryCells({None: 0, **dict.fromkeys(range(16), 0)}, remembered={})
    calls: list[str] = []
    store.interference = lambda s: calls.append("call")
    assert (
        Inventory(store, auto_shards_max=1).reserve("o-1", [(PRODUCT, 1)], correlation_id="c")
        == "out of stock"
    )
    assert len(calls) <= 4  # stock_of, one refused take, every cell read once, the failure recorded


def test_the_last_units_in_one_shard_are_found_whichever_shard_an_order_starts_at() -> None:
    for number in range(20):
        store = MemoryCells({None: 0, **dict.fromkeys(range(16), 0), 11: 2}, remembered={})
        inventory = Inventory(store, auto_shards_max=1)
        assert inventory.reserve(f"o-{number}", [(PRODUCT, 2)], correlation_id="c") == "reserved"
        assert store.cells[11] == 0


def test_a_throttled_shard_sends_the_order_to_another_shard_at_once() -> None:
    # Shard 0 is a hot partition; shard 1 holds units: the order is reserved there, not deferred.
    for number in range(8):
        store = MemoryCells({None: 0, 0: 3, 1: 3}, remembered={})
        store.hot = {0}
        assert Inventory(store, auto_shards_max=1).reserve(
            f"o-{number}", [(PRODUCT, 1)], correlation_id="c"
        ) == ("reserved")
        assert store.cells == {None: 0, 0: 3, 1: 2}
        assert store.throttled_takes <= 1


def test_an_unsharded_product_throttled_is_deferred_as_before() -> None:
    store = MemoryCells({None: 5}, remembered={})
    store.hot = {None}
    with pytest.raises(StockBusy):
        Inventory(store, auto_shards_max=1).reserve("o-1", [(PRODUCT, 1)], correlation_id="c")
    assert store.cells == {None: 5}
    assert store.throttled_takes == 1


@settings(max_examples=300, deadline=None)
@given(layout=layouts(), data=st.data(), quantities=st.lists(st.integers(1, 6), min_size=1, max_size=20))
def test_throttled_cells_never_oversell_and_defer_only_when_no_other_cell_can_take_the_order(
    layout: tuple[dict[Cell, int], dict[Cell, int]], data: st.DataObject, quantities: list[int]
) -> None:
    cells, remembered = layout
    store = MemoryCells(cells, remembered)
    store.hot = set(data.draw(st.lists(st.sampled_from(sorted(cells, key=str)), unique=True), label="hot"))
    inventory = Inventory(store, auto_shards_max=1)
    initial = store.total
    sold = 0
    for number, quantity in enumerate(quantities):
        before = dict(store.cells)
        cool = {cell: held for cell, held in before.items() if cell not in store.hot}
        try:
            outcome = inventory.reserve(f"o-{number}", [(PRODUCT, quantity)], correlation_id="c")
        except StockBusy:
            outcome = "deferred"
        if outcome == "reserved":
            sold += quantity
            assert not any(store.cells[cell] != before[cell] for cell in store.hot), (
                "took from a throttled cell"
            )
        elif outcome == "out of stock":
            assert sum(before.values()) < quantity, "refused while the units were there"
        else:
            assert outcome == "deferred"
            assert store.cells == before
            # Deferred only when the cells that are not throttled cannot cover the order together.
            assert sum(cool.values()) < quantity <= sum(before.values())
        assert min(store.cells.values()) >= 0
        assert store.total == initial - sold
        store.remembered = {}
