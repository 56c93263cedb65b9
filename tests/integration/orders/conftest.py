"""Orders and catalog tables, a cursor secret and seeded products in moto; the env the orders
functions read (TABLE_NAME, CATALOG_TABLE_NAME, CURSOR_SECRET_ARN)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.integration.catalog.helpers import create_cursor_secret
from tests.integration.conftest import create_service_table

ORDERS_TABLE = "orders-test"
CATALOG_TABLE = "catalog-test"


@dataclass(frozen=True)
class OrdersEnv:
    table: str
    catalog_table: str
    products: dict[str, str]  # name → productId


@pytest.fixture
def orders_env(aws: None, monkeypatch: pytest.MonkeyPatch) -> OrdersEnv:
    from catalog.domain import new_product
    from catalog.store import DynamoProductStore

    from commerce.events import ProductCreated

    table = create_service_table(ORDERS_TABLE, (("gsi1", "gsi1pk", "gsi1sk"),))
    catalog_table = create_service_table(CATALOG_TABLE, (("gsi1", "gsi1pk", "gsi1sk"),))
    monkeypatch.setenv("TABLE_NAME", table)
    monkeypatch.setenv("CATALOG_TABLE_NAME", catalog_table)
    monkeypatch.setenv("CURSOR_SECRET_ARN", create_cursor_secret("orders-cursor"))
    catalog = DynamoProductStore(table=catalog_table)
    products = {}
    for name, amount, currency in (("cup", 1250, "EUR"), ("pot", 4000, "EUR"), ("mug", 900, "USD")):
        product = new_product(
            {"name": name, "description": "", "price": {"amount": amount, "currency": currency}, "stock": 50}
        )
        event = ProductCreated(productId=product["productId"], name=name, price=product["price"], stock=50)
        catalog.create(product, event, correlation_id="seed")
        products[name] = product["productId"]
    return OrdersEnv(table=table, catalog_table=catalog_table, products=products)
