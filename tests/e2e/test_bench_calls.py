"""`make bench` counts AWS calls and DynamoDB capacity for every API operation and every saga step.

Not a timed test: it asserts which operations are covered and that each was really measured.
"""

from __future__ import annotations

from benchmarks.calls import measure
from tests.e2e.conftest import _ensure_template


def test_every_route_and_every_saga_step_is_measured() -> None:
    report = measure(orders=1, template=_ensure_template())

    rows = report["rows"]
    measured = {row.get("route") for row in rows}
    # Every route the API serves (the 19 of ../shared/CONTRACT.md and GET /swagger) has a row of its own.
    assert len(report["routes"]) == 20, report["routes"]
    assert set(report["routes"]) <= measured, set(report["routes"]) - measured
    api = {row["route"]: row for row in rows if row["scope"] == "api (per request)"}
    assert api["POST /auth/login"]["aws_calls"]["kms:Sign"] == 1
    assert api["GET /orders"]["aws_calls"] == {"dynamodb:Query": 1}
    assert api["POST /orders/{orderId}/cancel"]["wcu"] > 0
    assert api["GET /health"]["aws_calls"] == {}
    assert api["GET /swagger"]["aws_calls"] == {}
    # The authorizer (new tokens) and what the requests set off are reported apart from the routes.
    authorizer = [row["handler"] for row in rows if row["scope"] == "authorizer (per invocation)"]
    assert authorizer == ["identity.authorizer.lambda_handler"]
    follow_ups = {row["handler"] for row in rows if row["scope"] == "async (per invocation)"}
    assert "inventory.release_stock.lambda_handler" in follow_ups
    saga = {row["handler"] for row in rows if row["scope"] == "saga (per order)"}
    assert {"orders.place_order.lambda_handler", "payments.charge_order.lambda_handler"} <= saga
    assert report["saga_latency_ms"]["p50"] > 0
