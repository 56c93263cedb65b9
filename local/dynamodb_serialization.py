"""A fast path in moto's response serializer for DynamoDB attribute values.

moto (5.2) serializes every response through its generic, model-driven serializer. An item's
attributes are already in DynamoDB's JSON form (`{"S": "..."}`, `{"M": {...}}`), yet each value is
walked member by member through the ten-member `AttributeValue` union: a Query returning 20 products
spent ~20 ms there, more than everything else in `GET /products` locally. A value made only of
S, N, BOOL, NULL, SS, NS, M and L is copied as it is (it is exactly what the generic path produces);
anything else (binary values, which need base64) takes moto's own path.
"""

from __future__ import annotations

from typing import Any

_MARK = "_commerce_fast_attribute_values"
_SCALARS = frozenset({"S", "N", "BOOL", "NULL", "SS", "NS"})


def plain_attribute_value(value: Any) -> bool:
    """True for a DynamoDB JSON attribute value the generic serializer would copy unchanged."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((kind, inner),) = value.items()
    if kind in _SCALARS:
        return True
    if kind == "M":
        return isinstance(inner, dict) and all(plain_attribute_value(v) for v in inner.values())
    if kind == "L":
        return isinstance(inner, list) and all(plain_attribute_value(v) for v in inner)
    return False


def install() -> None:
    """Patch moto's JSON serializer (idempotent)."""
    from moto.core.serialize import BaseJSONSerializer

    original = BaseJSONSerializer._serialize_type_structure
    if getattr(original, _MARK, False):
        return

    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if shape.name == "AttributeValue" and plain_attribute_value(value):
            if key:
                self._default_serialize(serialized, value, shape, key)
            else:
                serialized.update(value)
            return
        original(self, serialized, value, shape, key)

    setattr(serialize_structure, _MARK, True)
    BaseJSONSerializer._serialize_type_structure = serialize_structure  # type: ignore[method-assign]
