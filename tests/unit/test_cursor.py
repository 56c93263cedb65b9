"""Pagination cursors are opaque, bound to their query, and reject any modification with a 400."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce.api import problem_for
from commerce.cursor import InvalidCursor, decode_cursor, encode_cursor

SECRET = b"s" * 32
KEY = {"pk": {"S": "ORDER#1"}, "sk": {"S": "ORDER"}, "gsi1pk": {"S": "USER#u-1"}, "gsi1sk": {"S": "2026#1"}}


def test_cursor_round_trips_the_key_for_its_scope() -> None:
    cursor = encode_cursor(KEY, scope="orders:u-1", secret=SECRET)
    assert decode_cursor(cursor, scope="orders:u-1", secret=SECRET) == KEY


def test_cursor_is_url_safe_and_does_not_expose_raw_json() -> None:
    cursor = encode_cursor(KEY, scope="orders:u-1", secret=SECRET)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_cursor_from_another_scope_is_rejected() -> None:
    cursor = encode_cursor(KEY, scope="orders:u-1", secret=SECRET)
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, scope="orders:u-2", secret=SECRET)


def test_cursor_signed_with_another_secret_is_rejected() -> None:
    cursor = encode_cursor(KEY, scope="orders:u-1", secret=b"other" * 8)
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, scope="orders:u-1", secret=SECRET)


def test_cursor_with_a_rewritten_key_is_rejected() -> None:
    cursor = encode_cursor(KEY, scope="orders:u-1", secret=SECRET)
    _, mac = cursor.split(".")
    forged_key = {**KEY, "gsi1pk": {"S": "USER#u-2"}}
    forged = base64.urlsafe_b64encode(json.dumps(forged_key).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidCursor):
        decode_cursor(f"{forged}.{mac}", scope="orders:u-1", secret=SECRET)


@pytest.mark.parametrize("bad", ["", "x", "a.b", "a.b.c", "!!!.???", "." * 3000, "eyJ9.AAAA"])
def test_garbage_cursors_are_rejected_as_400(bad: str) -> None:
    with pytest.raises(InvalidCursor) as raised:
        decode_cursor(bad, scope="orders:u-1", secret=SECRET)
    assert problem_for(raised.value).status == 400


def test_every_single_character_change_is_detected() -> None:
    cursor = encode_cursor(KEY, scope="s", secret=SECRET)
    for index, char in enumerate(cursor):
        if char == ".":
            continue
        replacement = "A" if char != "A" else "B"
        tampered = cursor[:index] + replacement + cursor[index + 1 :]
        with pytest.raises(InvalidCursor):
            decode_cursor(tampered, scope="s", secret=SECRET)


def test_changing_the_spare_bits_of_the_last_character_is_detected() -> None:
    cursor = encode_cursor(KEY, scope="s", secret=SECRET)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for variant in alphabet:
        if variant == cursor[-1]:
            continue
        with pytest.raises(InvalidCursor):
            decode_cursor(cursor[:-1] + variant, scope="s", secret=SECRET)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=3000) | st.text(alphabet="ABCab-_.=", min_size=2000, max_size=5000))
def test_any_string_is_a_valid_key_or_invalid_cursor_never_another_error(text: str) -> None:
    refused: InvalidCursor | None = None
    try:
        decode_cursor(text, scope="orders:u-1", secret=SECRET)
    except InvalidCursor as error:
        refused = error
    if refused is not None:
        assert problem_for(refused).status == 400
