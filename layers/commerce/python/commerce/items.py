"""DynamoDB item conversion shared by every store: Python values ⇄ low-level attribute values.

Reading uses Powertools' TypeDeserializer (boto3's, without importing boto3). Writing uses the
small serializer below, which follows boto3's TypeSerializer rule for rule (tests/unit/test_items.py
checks them against each other): importing `boto3.dynamodb.types` runs boto3's package import,
which is most of what commerce.aws avoids.

Numbers come back from DynamoDB as `Decimal`; `plain()` turns whole ones into `int` (money is in
minor units, counts are integers) and others into `float`, so stores hand plain JSON-able values to
the domain.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.shared.dynamodb_deserializer import DYNAMODB_CONTEXT, TypeDeserializer

_DESERIALIZER = TypeDeserializer()


def to_attribute_value(value: Any) -> dict[str, Any]:
    """One Python value as a DynamoDB attribute value (boto3's TypeSerializer rules)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": _number(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, Set):
        return _set(value)
    if isinstance(value, Mapping):
        return {"M": {key: to_attribute_value(inner) for key, inner in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute_value(inner) for inner in value]}
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    # The type only: an item's values may be personal data, and errors end up in logs.
    raise TypeError(f"Unsupported type {type(value).__name__} for a DynamoDB attribute value")


def to_attribute_values(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: to_attribute_value(value) for key, value in item.items()}


def from_attribute_values(image: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _DESERIALIZER.deserialize(value) for key, value in image.items()}


def plain(value: Any) -> Any:
    """`value` with every Decimal turned into an int (whole) or a float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [plain(inner) for inner in value]
    return value


def plain_item(image: Mapping[str, Any]) -> dict[str, Any]:
    """A low-level item as plain Python values."""
    return dict(plain(from_attribute_values(image)))


def _number(value: int | Decimal) -> str:
    # DynamoDB's own precision (38 digits); like boto3, inexact or non-finite numbers are refused.
    number = str(DYNAMODB_CONTEXT.create_decimal(value))
    if number in ("Infinity", "NaN", "-Infinity", "sNaN"):
        raise TypeError("Infinity and NaN not supported")
    return number


def _set(values: Set[Any]) -> dict[str, Any]:
    if not values:
        raise TypeError("An empty set is not a DynamoDB attribute value")
    members = list(values)
    if all(isinstance(v, int | Decimal) for v in members):
        return {"NS": [_number(v) for v in members]}
    if all(isinstance(v, str) for v in members):
        return {"SS": members}
    if all(isinstance(v, bytes | bytearray) for v in members):
        return {"BS": [bytes(v) for v in members]}
    raise TypeError("A DynamoDB set holds only numbers, only strings or only binary values")
