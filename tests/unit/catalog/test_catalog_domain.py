"""Catalog rules: new products, PATCH semantics and HTTP cache validators."""

from __future__ import annotations

from catalog.caching import entity_tag, matches_if_none_match
from catalog.domain import apply_changes, new_product

FIELDS = {"name": "Cup", "description": "", "price": {"amount": 100, "currency": "EUR"}, "stock": 3}


def test_new_product_gets_an_id_and_equal_timestamps() -> None:
    product = new_product(FIELDS, now="2026-01-01T00:00:00.000Z")
    assert product["productId"]
    assert product["createdAt"] == product["updatedAt"] == "2026-01-01T00:00:00.000Z"


def test_apply_changes_sets_only_given_fields_and_moves_updated_at() -> None:
    product = new_product(FIELDS, now="2026-01-01T00:00:00.000Z")
    updated = apply_changes(product, {"stock": 9, "name": None}, now="2026-01-02T00:00:00.000Z")
    assert updated["stock"] == 9
    assert updated["name"] == "Cup"
    assert updated["createdAt"] == "2026-01-01T00:00:00.000Z"
    assert updated["updatedAt"] == "2026-01-02T00:00:00.000Z"


def test_entity_tag_is_strong_and_changes_with_the_body() -> None:
    tag = entity_tag({"a": 1})
    assert tag.startswith('"')
    assert not tag.startswith("W/")
    assert tag == entity_tag({"a": 1})
    assert tag != entity_tag({"a": 2})


def test_if_none_match_accepts_lists_weak_tags_and_star() -> None:
    tag = entity_tag({"a": 1})
    assert matches_if_none_match(tag, tag)
    assert matches_if_none_match(f'"x", {tag}', tag)
    assert matches_if_none_match(f"W/{tag}", tag)
    assert matches_if_none_match("*", tag)
    assert not matches_if_none_match('"x"', tag)
    assert not matches_if_none_match(None, tag)
