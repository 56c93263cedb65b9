"""EventBridge-style pattern matching (rules and event filtering)."""

from __future__ import annotations

import pytest

from local.patterns import matches

EVENT = {
    "source": "commerce.orders",
    "detail-type": "OrderPlaced",
    "detail": {
        "data": {"total": 250, "currency": "EUR", "tags": ["a", "b"], "ip": "10.0.0.7"},
        "flag": False,
    },
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["commerce.orders"]}, True),
        ({"source": ["commerce.payments"]}, False),
        ({"source": [{"prefix": "commerce."}]}, True),
        ({"detail-type": [{"suffix": "Placed"}]}, True),
        ({"detail-type": [{"equals-ignore-case": "orderplaced"}]}, True),
        ({"source": [{"anything-but": "commerce.orders"}]}, False),
        ({"source": [{"anything-but": ["x", "y"]}]}, True),
        ({"source": [{"anything-but": {"prefix": "commerce"}}]}, False),
        ({"detail": {"data": {"total": [{"numeric": [">", 100, "<=", 250]}]}}}, True),
        ({"detail": {"data": {"total": [{"numeric": ["<", 100]}]}}}, False),
        ({"detail": {"data": {"currency": [{"exists": True}]}}}, True),
        ({"detail": {"data": {"missing": [{"exists": False}]}}}, True),
        ({"detail": {"data": {"missing": [{"exists": True}]}}}, False),
        ({"detail": {"nothere": {"x": [{"exists": False}]}}}, True),
        ({"detail": {"data": {"tags": ["b"]}}}, True),
        ({"detail": {"flag": [False]}}, True),
        ({"detail": {"data": {"ip": [{"cidr": "10.0.0.0/24"}]}}}, True),
        ({"detail-type": [{"wildcard": "Order*"}]}, True),
        ({"$or": [{"source": ["nope"]}, {"detail-type": ["OrderPlaced"]}]}, True),
        ({"source": ["commerce.orders"], "detail-type": ["OrderShipped"]}, False),
    ],
)
def test_pattern(pattern: dict, expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


def test_json_string_patterns_as_lambda_filter_criteria_carry_them() -> None:
    record = {"eventName": "INSERT", "dynamodb": {"NewImage": {"pk": {"S": "OUTBOX#1"}}}}
    assert matches('{"dynamodb":{"NewImage":{"pk":{"S":[{"prefix":"OUTBOX#"}]}}}}', record)
    assert not matches('{"eventName":["REMOVE"]}', record)
