"""The bounds docs/openapi.json (and so docs/api.md) states for a body field are the ones the server
enforces: at each stated limit the field's own validation accepts, one past it refuses (issue 22,
finding 8: the reference did not state the limits the server enforced; stated by hand they drift).
The query and path parameter bounds are the routes' `Query()`/`Path()` constraints themselves."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = json.loads((ROOT / "docs" / "openapi.json").read_text())
MODULES = ("catalog.models", "identity.models", "orders.models", "users.models", "commerce.events")


def _models() -> dict[str, type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for name in MODULES:
        for value in vars(importlib.import_module(name)).values():
            if inspect.isclass(value) and issubclass(value, BaseModel):
                found.setdefault(value.__name__, value)
    return found


def _bounded_fields() -> list[tuple[str, str, dict[str, Any]]]:
    rows = []
    for component, schema in DOCUMENT["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            for option in prop.get("anyOf", [prop]):
                if option.get("type") in ("string", "integer") and (
                    {"minLength", "maxLength", "minimum", "maximum"} & set(option)
                ):
                    rows.append((component, field, option))
    return rows


FIELDS = _bounded_fields()


def test_the_document_states_the_bounds_the_contract_names() -> None:
    stated = {(component, field): option for component, field, option in FIELDS}
    assert stated[("RegisterRequest", "password")]["minLength"] == 10  # CONTRACT §1: ≥ 10 chars
    quantity = stated[("OrderLineRequest", "quantity")]
    assert (quantity["minimum"], quantity["maximum"]) == (1, 100)  # CONTRACT §1: quantity 1-100
    assert {("NewProduct", "name"), ("RegisterRequest", "name"), ("ProfilePatch", "name")} <= set(stated)


@pytest.mark.parametrize(("component", "field", "option"), FIELDS, ids=[f"{c}.{f}" for c, f, _ in FIELDS])
def test_a_stated_bound_is_the_one_the_field_enforces(
    component: str, field: str, option: dict[str, Any]
) -> None:
    model = _models()[component]
    info = model.model_fields[field]
    annotation: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)

    def text(length: int) -> str:
        """A value of `length` characters that is valid but for its length (an address for an email
        field, the `pm_` prefix a payment method needs)."""
        if field == "email" and length > 66:
            local, labels, rest = "a" * 64, [], length - 65
            while rest > 0:
                label = min(63, rest)
                labels.append("b" * label)
                rest -= label + 1
            return f"{local}@{'.'.join(labels)}"
        if option.get("pattern", "").startswith("^pm_"):
            return "pm_" + "a" * (length - 3)
        return "a" * length

    def accepts(value: Any) -> bool:
        try:
            adapter.validate_python(value)
        except ValidationError:
            return False
        return True

    if option["type"] == "string":
        low, high = option.get("minLength", 0), option.get("maxLength")
        if low:
            assert accepts(text(low)), f"{component}.{field}: {low} characters are refused"
            assert not accepts(text(low - 1)), f"{component}.{field}: {low - 1} characters are accepted"
        if high is not None:
            assert accepts(text(high)), f"{component}.{field}: {high} characters are refused"
            assert not accepts(text(high + 1)), f"{component}.{field}: {high + 1} characters are accepted"
    else:
        if "minimum" in option:
            low = int(option["minimum"])
            assert accepts(low), f"{component}.{field}: {low} is refused"
            assert not accepts(low - 1), f"{component}.{field}: {low - 1} is accepted"
        if "maximum" in option:
            high = int(option["maximum"])
            assert accepts(high), f"{component}.{field}: {high} is refused"
            assert not accepts(high + 1), f"{component}.{field}: {high + 1} is accepted"
