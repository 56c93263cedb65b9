"""GET /orders with 1,000 vs 100,000 orders in the table: latency and capacity must stay flat.

    python -m benchmarks.flat_list [--sizes 1000,100000] [--calls 20]

In-process moto: an orders table shaped as the template makes it (pk/sk, gsi1 = a user's orders,
newest first), one real order placed through `orders.place_order` as the item template, then the
table is filled with BatchWriteItem: 50 orders for the measured user and the rest for 500 other
users. `orders.list_orders.lambda_handler` is then called `--calls` times for the user (default
limit 20). Reported per size: median latency, consumed read capacity per call (ReturnConsumedCapacity),
items the Query evaluated (ScannedCount). Budget: capacity and ScannedCount at 100,000 orders equal
those at 1,000 (latency is reported, but moto evaluates a GSI Query by walking the whole table,
so moto's latency grows with the table where DynamoDB's does not).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.tables import create_service_table

ROOT = Path(__file__).resolve().parents[1]
USER = "flat-list-user"
USER_ORDERS = 50


def _event(
    path: str, method: str, user: str, body: Any = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "resourcePath": path,
            "httpMethod": method,
            "authorizer": {"userId": user, "roles": "user"},
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


class _Context:
    function_name = "flat-list"
    memory_limit_in_mb = "256"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:flat-list"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30000


def measure(sizes: list[int], calls: int) -> dict[str, Any]:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_SERVICE_NAME": "orders",
            "POWERTOOLS_METRICS_NAMESPACE": "Commerce",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from moto import mock_aws

    results: list[dict[str, Any]] = []
    for size in sizes:
        with mock_aws():
            results.append(_measure_size(size, calls))
    flat = len({(r["read_capacity_per_call"], r["scanned_per_call"]) for r in results}) == 1 and all(
        r["statuses"] == {"200": calls} for r in results
    )
    return {"user_orders": USER_ORDERS, "calls": calls, "sizes": results, "flat": flat}


def _measure_size(size: int, calls: int) -> dict[str, Any]:
    from commerce.aws import clear as aws_clear
    from commerce.aws import client

    aws_clear()
    dynamodb = client("dynamodb")
    for name in ("orders", "catalog"):
        create_service_table(dynamodb, name)
    secret = client("secretsmanager").create_secret(Name="cursor", SecretString="c" * 48)["ARN"]
    os.environ.update({"TABLE_NAME": "orders", "CATALOG_TABLE_NAME": "catalog", "CURSOR_SECRET_ARN": secret})
    dynamodb.put_item(
        TableName="catalog",
        Item={
            "pk": {"S": "PRODUCT#p1"},
            "sk": {"S": "PRODUCT"},
            "productId": {"S": "p1"},
            "name": {"S": "Bench product"},
            "description": {"S": ""},
            "stock": {"N": "1000000"},
            "price": {"M": {"amount": {"N": "1299"}, "currency": {"S": "EUR"}}},
            "version": {"N": "1"},
            "createdAt": {"S": "2026-01-01T00:00:00.000Z"},
            "updatedAt": {"S": "2026-01-01T00:00:00.000Z"},
        },
    )
    import orders.list_orders as list_orders
    import orders.place_order as place_order

    placed = place_order.lambda_handler(
        _event(
            "/orders",
            "POST",
            USER,
            {"items": [{"productId": "p1", "quantity": 1}], "paymentMethodId": "pm_card_visa"},
            {"Idempotency-Key": "flat-list"},
        ),
        _Context(),
    )
    if placed.get("statusCode") != 202:
        raise RuntimeError(f"could not place the template order: {placed}")
    order_id = json.loads(placed["body"])["orderId"]
    template = dynamodb.get_item(
        TableName="orders", Key={"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "ORDER"}}
    )["Item"]
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    for number in range(size - 1):
        new_id = str(uuid.UUID(int=number + 1))
        user = USER if number < USER_ORDERS - 1 else f"user-{number % 500}"
        created = f"2026-01-{1 + number % 28:02d}T{number % 24:02d}:00:00.{number % 1000:03d}Z"
        item = copy.deepcopy(template)
        for key in ("pk", "gsi1pk", "gsi1sk", "orderId", "userId", "createdAt", "updatedAt"):
            if key not in item:
                continue
        item["pk"] = {"S": f"ORDER#{new_id}"}
        item["orderId"] = {"S": new_id}
        item["userId"] = {"S": user}
        item["gsi1pk"] = {"S": f"USER#{user}"}
        item["gsi1sk"] = {"S": f"{created}#{new_id}"}
        item["createdAt"] = item["updatedAt"] = {"S": created}
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25:
            dynamodb.batch_write_item(RequestItems={"orders": batch})
            batch = []
    if batch:
        dynamodb.batch_write_item(RequestItems={"orders": batch})
    fill_s = time.perf_counter() - started

    consumed: list[float] = []
    scanned: list[int] = []

    def ask(params: dict[str, Any], **_: Any) -> None:
        params["ReturnConsumedCapacity"] = "TOTAL"

    def seen(parsed: dict[str, Any], **_: Any) -> None:
        consumed.append(float((parsed.get("ConsumedCapacity") or {}).get("CapacityUnits") or 0))
        scanned.append(int(parsed.get("ScannedCount") or 0))

    dynamodb.meta.events.register("provide-client-params.dynamodb.Query", ask)
    dynamodb.meta.events.register("after-call.dynamodb.Query", seen)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    items = 0
    for _ in range(calls):
        begun = time.perf_counter()
        response = list_orders.lambda_handler(_event("/orders", "GET", USER), _Context())
        latencies.append((time.perf_counter() - begun) * 1000)
        statuses[str(response["statusCode"])] = statuses.get(str(response["statusCode"]), 0) + 1
        items = len(json.loads(response["body"]).get("items", []))
    dynamodb.meta.events.unregister("provide-client-params.dynamodb.Query", ask)
    dynamodb.meta.events.unregister("after-call.dynamodb.Query", seen)
    return {
        "orders_in_table": size,
        "fill_s": round(fill_s, 1),
        "statuses": statuses,
        "items_per_page": items,
        "p50_ms": round(statistics.median(latencies), 1),
        "queries_per_call": round(len(consumed) / calls, 2),
        "read_capacity_per_call": round(sum(consumed) / calls, 2),
        "scanned_per_call": round(sum(scanned) / calls, 1),
    }


def print_table(report: dict[str, Any]) -> None:
    print(
        f"\nGET /orders for a user with {report['user_orders']} orders (default limit), "
        f"{report['calls']} calls each"
    )
    print(
        f"{'orders in table':>16} {'p50 ms (moto)':>14} {'queries':>8} {'RCU/call':>9} "
        f"{'scanned':>8} {'items':>6}"
    )
    for row in report["sizes"]:
        print(
            f"{row['orders_in_table']:>16,} {row['p50_ms']:>14} {row['queries_per_call']:>8} "
            f"{row['read_capacity_per_call']:>9} {row['scanned_per_call']:>8} {row['items_per_page']:>6}"
        )
    print("flat (same capacity and items evaluated):", "yes" if report["flat"] else "NO")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--out")
    args = parser.parse_args()
    report = measure([int(s) for s in args.sizes.split(",")], args.calls)
    print_table(report)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return 0 if report["flat"] else 1


if __name__ == "__main__":
    sys.exit(main())
