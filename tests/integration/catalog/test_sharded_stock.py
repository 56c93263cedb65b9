"""A hot product's stock split across shard items, against moto: the admin's stockShards, reservations
spread over the shards and falling back when one is empty, releases, live resharding both ways, and
GET's true total; no unit is sold twice or lost (the interleavings are model-checked in
tests/unit/inventory/test_sharded_reservations.py)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from commerce.stock_store import read_cells
from tests.conftest import FakeLambdaContext
from tests.integration.catalog.helpers import api_event, body_of, count_aws_calls


def _create(stock: int, ctx: FakeLambdaContext) -> str:
    from catalog import create_product

    body = {"name": "Hot", "description": "", "price": {"amount": 999, "currency": "EUR"}, "stock": stock}
    response = create_product.lambda_handler(
        api_event("POST", "/products", body=body, user="admin-1", roles="admin"), ctx
    )
    assert response["statusCode"] == 201, response
    return str(body_of(response)["productId"])


def _patch(product_id: str, body: dict[str, Any], ctx: FakeLambdaContext) -> dict[str, Any]:
    from catalog import update_product

    event = api_event(
        "PATCH",
        f"/products/{product_id}",
        resource="/products/{productId}",
        path_parameters={"productId": product_id},
        body=body,
        user="admin-1",
        roles="admin",
    )
    return update_product.lambda_handler(event, ctx)


def _stock(product_id: str, ctx: FakeLambdaContext) -> int:
    from catalog import get_product

    event = api_event(
        "GET",
        f"/products/{product_id}",
        resource="/products/{productId}",
        path_parameters={"productId": product_id},
    )
    response = get_product.lambda_handler(event, ctx)
    assert response["statusCode"] == 200, response
    return int(body_of(response)["stock"])


@pytest.fixture
def inventory(catalog_table: str) -> Any:
    from inventory import store
    from inventory.service import Inventory

    for cache in (store.SHARDS, store.CELLS, store.RESHARD_ATTEMPTED, store.READ_IN_FULL):
        cache.clear()
    return Inventory(store.DynamoInventoryStore(catalog_table), auto_shards_max=1)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_sharded_product_sells_exactly_its_units_while_it_is_resharded_live(
    catalog_table: str, lambda_context: FakeLambdaContext, inventory: Any, seed: int
) -> None:
    rng = random.Random(seed)
    product_id = _create(60, lambda_context)
    sharded = _patch(product_id, {"stockShards": 4}, lambda_context)
    assert sharded["statusCode"] == 200, sharded
    assert body_of(sharded)["stock"] == 60  # the total, wherever the units are

    held: dict[str, int] = {}
    reshards = {12: {"stockShards": 16}, 30: {"stockShards": 2}, 45: {"stockShards": 8}}
    for number in range(70):
        if number in reshards:
            answer = _patch(product_id, reshards[number], lambda_context)
            assert answer["statusCode"] in (200, 409), answer  # 409: the stock moved, retry later
        order = f"o-{seed}-{number}"
        quantity = rng.randint(1, 3)
        before = _stock(product_id, lambda_context)
        outcome = inventory.reserve(order, [(product_id, quantity)], correlation_id="c")
        assert outcome == ("reserved" if before >= quantity else "out of stock"), (before, quantity)
        if outcome == "reserved":
            held[order] = quantity
        if held and rng.random() < 0.15:
            released = rng.choice(sorted(held))
            assert inventory.release(released, correlation_id="c") == "released"
            del held[released]
        cells = read_cells(catalog_table, product_id)
        assert cells is not None
        assert min([cells.base, *(s or 0 for s in cells.shard_stock)]) >= 0, "a cell below zero"
        assert _stock(product_id, lambda_context) == cells.total == 60 - sum(held.values())


def test_the_last_units_are_found_in_whichever_shard_holds_them(
    catalog_table: str, lambda_context: FakeLambdaContext, inventory: Any
) -> None:
    product_id = _create(16, lambda_context)
    assert _patch(product_id, {"stockShards": 16}, lambda_context)["statusCode"] == 200
    outcomes = [inventory.reserve(f"o-{n}", [(product_id, 1)], correlation_id="c") for n in range(24)]
    assert outcomes.count("reserved") == 16
    assert outcomes[16:] == ["out of stock"] * 8
    assert _stock(product_id, lambda_context) == 0
    cells = read_cells(catalog_table, product_id)
    assert cells is not None
    assert (cells.shards, cells.total) == (16, 0)


def test_a_sold_out_sharded_product_refuses_without_reading_every_cell_for_each_order(
    catalog_table: str, lambda_context: FakeLambdaContext, inventory: Any
) -> None:
    from inventory import store

    product_id = _create(2, lambda_context)
    assert _patch(product_id, {"stockShards": 16}, lambda_context)["statusCode"] == 200
    for n in range(3):
        inventory.reserve(f"o-{n}", [(product_id, 1)], correlation_id="c")
    caches: tuple[Any, ...] = (store.READ_IN_FULL, store.CELLS, store.SHARDS)
    ages = [cache.max_age_seconds for cache in caches]
    for cache in caches:  # the refusals below come within one pause, however slow this machine is
        cache.max_age_seconds = 60
    try:
        with count_aws_calls() as calls:
            outcomes = [
                inventory.reserve(f"late-{n}", [(product_id, 1)], correlation_id="c") for n in range(10)
            ]
    finally:
        for cache, age in zip(caches, ages, strict=True):
            cache.max_age_seconds = age
    assert outcomes == ["out of stock"] * 10
    assert calls["TransactGetItems"] <= 1  # every cell read once, then trusted for FULL_READ_PAUSE
    assert calls["TransactWriteItems"] == 10  # each refusal recorded (reservation + outbox), no take tried


def test_an_admin_setting_the_total_of_a_sharded_product_lands_exactly(
    catalog_table: str, lambda_context: FakeLambdaContext, inventory: Any
) -> None:
    product_id = _create(10, lambda_context)
    assert _patch(product_id, {"stockShards": 8}, lambda_context)["statusCode"] == 200
    for n in range(3):
        assert inventory.reserve(f"o-{n}", [(product_id, 1)], correlation_id="c") == "reserved"
    answer = _patch(product_id, {"stock": 40}, lambda_context)
    assert answer["statusCode"] == 200, answer
    assert body_of(answer)["stock"] == 40
    assert _stock(product_id, lambda_context) == 40
    answer = _patch(product_id, {"stockShards": 1}, lambda_context)
    assert answer["statusCode"] == 200, answer
    cells = read_cells(catalog_table, product_id)
    assert cells is not None
    assert (cells.shards, cells.base) == (1, 40)


def test_stock_shards_outside_1_to_32_is_refused(
    catalog_table: str, lambda_context: FakeLambdaContext
) -> None:
    product_id = _create(5, lambda_context)
    for shards in (0, 33, "4"):
        assert _patch(product_id, {"stockShards": shards}, lambda_context)["statusCode"] == 422


def test_a_reservation_whose_shard_is_throttled_is_taken_from_another_shard_at_once(
    catalog_table: str, lambda_context: FakeLambdaContext, inventory: Any
) -> None:
    # The stand-in throttles like DynamoDB (local/limits.py), each shard its own partition; only the
    # shards are limited (2 write units a second) and time stands still, so each shard takes one
    # transactional take (2 units) and is throttled after it. Every order finds a shard that is not.
    from inventory.domain import StockBusy

    from local import limits

    product_id = _create(8, lambda_context)
    assert _patch(product_id, {"stockShards": 4}, lambda_context)["statusCode"] == 200
    before = read_cells(catalog_table, product_id)
    assert before is not None
    assert before.base >= 1  # a unit the plans try last
    limits.install(limits.Limits(scale=0.002, scaled_keys=("STOCK#",)), clock=lambda: 1000.0)
    try:
        with count_aws_calls() as calls:
            outcomes = [inventory.reserve(f"o-{n}", [(product_id, 1)], correlation_id="c") for n in range(5)]
        with pytest.raises(StockBusy):  # every shard throttled and the base empty: deferred
            inventory.reserve("o-5", [(product_id, 1)], correlation_id="c")
    finally:
        limits.uninstall()
    assert outcomes == ["reserved"] * 5  # none deferred while a shard or the base could take it
    after = read_cells(catalog_table, product_id)
    assert after is not None
    assert [before.stock_of(k) - after.stock_of(k) for k in range(4)] == [1, 1, 1, 1]
    assert before.base - after.base == 1
    assert calls["TransactWriteItems"] <= 5 + 10  # a throttled shard costs one try, not a retry loop
