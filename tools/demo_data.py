"""Seed the local stack's demo data (`local/demo_data.json`): customers, products and orders with
fixed ids, so the sample events in events/ and the docs' examples find what they name.

    python tools/demo_data.py --outputs .local/outputs.json [--stack Commerce-dev]

`make dev` runs it after creating the admin (local/seed.py). Everything goes through the services'
own use cases and stores, as the API would (password rules, prices from the catalog, the outbox and
its events: the demo orders run through the saga); only the ids are chosen. Idempotent: what
exists already is left alone. For the local stack only: a deployed stack has no demo data.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from local import outputs as stack_outputs

ROOT = Path(__file__).resolve().parent.parent
DEMO_DATA = ROOT / "local" / "demo_data.json"
REQUIRED_OUTPUTS = (
    "AwsEndpoint",
    "IdentityTableName",
    "UsersTableName",
    "ContactKeyId",
    "CatalogTableName",
    "OrdersTableName",
)
CORRELATION_ID = "demo-data"


def seed_customers(outputs: dict[str, Any], customers: list[dict[str, Any]]) -> int:
    from identity.domain import EmailTaken
    from identity.keys import encrypt_contact
    from identity.models import RegisterRequest
    from identity.service import Accounts
    from identity.store import DynamoIdentityStore

    os.environ["CONTACT_KEY_ID"] = str(outputs["ContactKeyId"])
    store = DynamoIdentityStore(
        table=str(outputs["IdentityTableName"]), users_table=str(outputs["UsersTableName"])
    )
    accounts = Accounts(store=store, encrypt_contact=encrypt_contact)
    created = 0
    for customer in customers:
        request = RegisterRequest(
            email=customer["email"], password=customer["password"], name=customer["name"]
        )
        try:
            accounts.register(
                request.email,
                request.password,
                request.name,
                correlation_id=CORRELATION_ID,
                user_id=customer["userId"],
            )
            created += 1
        except EmailTaken:
            pass
    return created


def seed_products(outputs: dict[str, Any], products: list[dict[str, Any]]) -> int:
    from catalog.models import NewProduct
    from catalog.service import Catalog
    from catalog.store import DynamoProductStore

    catalog = Catalog(store=DynamoProductStore(table=str(outputs["CatalogTableName"])))
    created = 0
    for product in products:
        fields = {key: value for key, value in product.items() if key != "productId"}
        if catalog.store.get(product["productId"]) is None:
            catalog.create_product(
                NewProduct.model_validate(fields).model_dump(),
                correlation_id=CORRELATION_ID,
                product_id=product["productId"],
            )
            created += 1
    return created


def seed_orders(outputs: dict[str, Any], orders: list[dict[str, Any]]) -> int:
    from orders.models import PlaceOrderRequest
    from orders.service import Orders
    from orders.store import DynamoOrderStore

    store = DynamoOrderStore(
        table=str(outputs["OrdersTableName"]), catalog_table=str(outputs["CatalogTableName"])
    )
    use_case = Orders(store=store)
    created = 0
    for order in orders:
        if store.get(order["orderId"]) is not None:
            continue
        request = PlaceOrderRequest.model_validate(
            {"items": order["items"], "paymentMethodId": order["paymentMethodId"]}
        )
        use_case.place_order(
            user_id=order["userId"],
            idempotency_key=order["idempotencyKey"],
            request=request,
            correlation_id=CORRELATION_ID,
            order_id=order["orderId"],
        )
        created += 1
    return created


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Seed the local stack's demo customers, products and orders."
    )
    parser.add_argument("--outputs", type=Path, default=ROOT / ".local" / "outputs.json")
    parser.add_argument("--stack", default=None)
    parser.add_argument("--data", type=Path, default=DEMO_DATA)
    args = parser.parse_args(argv)
    _stack, outputs = stack_outputs.read(args.outputs, args.stack, needs=REQUIRED_OUTPUTS)
    where = stack_outputs.target_stack(outputs)
    data = json.loads(args.data.read_text())
    counts = {
        "customers": seed_customers(outputs, data.get("customers", [])),
        "products": seed_products(outputs, data.get("products", [])),
        "orders": seed_orders(outputs, data.get("orders", [])),
    }
    print(f"demo data in {where}: " + ", ".join(f"{n} {kind} created" for kind, n in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
