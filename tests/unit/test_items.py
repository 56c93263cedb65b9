"""commerce.items converts items exactly as boto3's TypeSerializer/TypeDeserializer would, without boto3."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce.items import from_attribute_values, plain_item, to_attribute_value, to_attribute_values

numbers = st.one_of(
    st.integers(min_value=-(10**37), max_value=10**37),
    st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-(10**20), max_value=10**20),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=20), st.binary(max_size=10))
sets = st.one_of(
    st.frozensets(st.text(max_size=8), min_size=1, max_size=4),
    st.frozensets(st.integers(min_value=-1000, max_value=1000), min_size=1, max_size=4),
    st.frozensets(st.binary(min_size=1, max_size=4), min_size=1, max_size=4),
)
values = st.recursive(
    st.one_of(scalars, sets),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(values)
def test_serializing_matches_boto3(value: Any) -> None:
    assert to_attribute_value(value) == TypeSerializer().serialize(value)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), values, max_size=5))
def test_deserializing_matches_boto3_and_round_trips(item: dict[str, Any]) -> None:
    image = to_attribute_values(item)
    ours = from_attribute_values(image)
    boto3s = {key: TypeDeserializer().deserialize(value) for key, value in image.items()}
    assert _normal(ours) == _normal(boto3s)
    assert ours == _normal_sets(to_python(item))


def _normal(value: Any) -> Any:
    """Comparable form: boto3 wraps binary values in its Binary type (the same bytes)."""
    if isinstance(value, dict):
        return {key: _normal(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_normal(inner) for inner in value]
    if isinstance(value, (set, frozenset)):
        return {_normal(inner) for inner in value}
    if isinstance(value, (bytes, bytearray)) or type(value).__name__ == "Binary":
        return ("binary", bytes(value))
    return value


def to_python(value: Any) -> Any:
    """What DynamoDB gives back for `value`: tuples become lists."""
    if isinstance(value, dict):
        return {key: to_python(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_python(inner) for inner in value]
    return value


def _normal_sets(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _normal_sets(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_normal_sets(inner) for inner in value]
    if isinstance(value, frozenset):
        return set(value)
    return value


@pytest.mark.parametrize(
    "value",
    [1.5, float("nan"), Decimal("Infinity"), Decimal("NaN"), {1, "a"}, object(), Decimal("1." + "1" * 40)],
)
def test_what_boto3_refuses_is_refused_the_same_way(value: Any) -> None:
    with pytest.raises((TypeError, ArithmeticError)) as theirs:
        TypeSerializer().serialize(value)
    with pytest.raises((TypeError, ArithmeticError)) as ours:
        to_attribute_value(value)
    # TypeError for types and non-finite numbers, decimal.Inexact past DynamoDB's 38 digits.
    assert ours.type is theirs.type


def test_an_empty_set_is_refused_here_rather_than_by_dynamodb() -> None:
    # boto3 sends {"NS": []}, which DynamoDB rejects with a ValidationException.
    with pytest.raises(TypeError):
        to_attribute_value(set())


def test_plain_item_gives_ints_for_whole_numbers_and_floats_for_the_rest() -> None:
    image = to_attribute_values({"qty": 3, "price": Decimal("2.50"), "tags": ["a"], "meta": {"n": 7}})
    assert plain_item(image) == {"qty": 3, "price": 2.5, "tags": ["a"], "meta": {"n": 7}}


def test_a_refused_value_is_not_repeated_in_the_error() -> None:
    # Errors reach logs; an item's values may be personal data.
    with pytest.raises(TypeError) as refused:
        to_attribute_value({"email": object.__new__(type("Secretish", (), {"__repr__": lambda _: "ada@x"}))})
    assert "ada@x" not in str(refused.value)
    with pytest.raises(TypeError) as mixed:
        to_attribute_value({"ada@example.com", 1})
    assert "ada@example.com" not in str(mixed.value)
