"""DynamoDB item conversion shared by every store: Python values ⇄ low-level attribute values.

Numbers come back from DynamoDB as `Decimal`; `plain()` turns whole ones into `int` (money is in
minor units, counts are integers) and others into `float`, so stores hand plain JSON-able values to
the domain.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def to_attribute_values(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return {key: serializer.serialize(value) for key, value in item.items()}


def from_attribute_values(image: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {key: deserializer.deserialize(value) for key, value in image.items()}


def plain(value: Any) -> Any:
    """`value` with every Decimal turned into an int (whole) or a float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [plain(inner) for inner in value]
    return value


def plain_item(image: dict[str, Any]) -> dict[str, Any]:
    """A low-level item as plain Python values."""
    return dict(plain(from_attribute_values(image)))
