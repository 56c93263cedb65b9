"""The request-body edge (commerce.request_body): whatever the body, the caller gets the body it sent
parsed, or a 400/413/415/422 — never an exception that would become a 5xx. Property-based: the
input space (bytes, nesting, widths, media types, Unicode) is far larger than examples can cover."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commerce.request_body import (
    MAX_BODY_BYTES,
    MAX_DEPTH,
    MAX_MEMBERS,
    BodyRefused,
    media_type,
    nesting_depth,
    read_body,
    with_json_media_type,
)

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


def event(body: Any, content_type: str | None = "application/json", **extra: Any) -> dict[str, Any]:
    headers = {} if content_type is None else {"Content-Type": content_type}
    return {
        "body": body,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        **extra,
    }


def outcome(evt: dict[str, Any], **kwargs: Any) -> tuple[int, Any]:
    try:
        return 200, read_body(evt, **kwargs)
    except BodyRefused as refused:
        return refused.status, refused


def nested(depth: int, kinds: list[bool]) -> str:
    """`depth` levels of arrays/objects (kinds[i]: True = object) around a scalar."""
    text = "1"
    for level in range(depth):
        text = f'{{"k":{text}}}' if kinds[level % len(kinds)] else f"[{text}]"
    return text


# ---- properties --------------------------------------------------------------------------------


@FAST
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda raw: raw.decode("latin-1")))
def test_any_text_is_parsed_or_refused_with_a_client_error(text: str) -> None:
    status, result = outcome(event(text))
    assert status in (200, 400, 422)
    if status == 200 and text:
        assert isinstance(result, dict)
        assert result == json.loads(text)


@FAST
@given(json_values)
def test_any_json_document_is_accepted_exactly_when_it_is_an_object(document: Any) -> None:
    status, result = outcome(event(json.dumps(document)))
    if isinstance(document, dict):
        assert (status, result) == (200, document)
    else:
        assert status == 422
        assert result.errors == [{"loc": ["body"], "msg": "must be a JSON object"}]


@FAST
@given(json_values.filter(lambda d: not isinstance(d, dict)))
def test_a_valid_body_wrapped_in_an_array_or_scalar_is_refused(inner: Any) -> None:
    for wrapped in ([{"email": "ann@example.com"}], [inner], inner):
        if isinstance(wrapped, dict):
            continue
        assert outcome(event(json.dumps(wrapped)))[0] == 422


@FAST
@given(st.integers(min_value=1, max_value=2000), st.lists(st.booleans(), min_size=1, max_size=4))
def test_nesting_is_accepted_up_to_the_limit_and_refused_beyond_it(depth: int, kinds: list[bool]) -> None:
    text = '{"a":' + nested(depth - 1, kinds) + "}"
    status, _ = outcome(event(text))
    assert nesting_depth(text) == depth
    assert status == (200 if depth <= MAX_DEPTH else 422)


@FAST
@given(st.integers(min_value=MAX_DEPTH + 1, max_value=5000), st.text(alphabet='[]{}",:\\1a ', max_size=50))
def test_deep_and_malformed_nesting_never_reaches_the_decoder_recursion(depth: int, tail: str) -> None:
    # Unbalanced, unterminated, strings with brackets inside: the pre-scan counts conservatively.
    text = "[" * depth + tail
    assert outcome(event(text))[0] in (400, 422)


@FAST
@given(st.integers(min_value=0, max_value=3 * MAX_MEMBERS), st.booleans())
def test_containers_wider_than_the_limit_are_refused(width: int, as_object: bool) -> None:
    inner = {f"k{i}": i for i in range(width)} if as_object else list(range(width))
    text = json.dumps({"x": inner})
    status, _ = outcome(event(text))
    if len(text.encode()) > MAX_BODY_BYTES:
        assert status == 413
    else:
        assert status == (200 if width <= MAX_MEMBERS else 422)


@FAST
@given(st.integers(min_value=MAX_BODY_BYTES - 64, max_value=MAX_BODY_BYTES + 64), st.sampled_from("a€😀"))
def test_size_is_counted_in_utf8_bytes(size: int, char: str) -> None:
    filler = char * ((size - 12) // len(char.encode()))
    text = json.dumps({"f": filler}, ensure_ascii=False)
    status, _ = outcome(event(text))
    assert status == (413 if len(text.encode()) > MAX_BODY_BYTES else 200)


@FAST
@given(
    st.sampled_from(["application/json", "application/problem+json", "application/merge-patch+json"]),
    st.data(),
    st.sampled_from(["", "; charset=utf-8", ";charset=UTF-8", " ; foo=bar"]),
)
def test_json_media_types_are_accepted_in_any_case(base: str, data: st.DataObject, params: str) -> None:
    cased = "".join(c.upper() if data.draw(st.booleans()) else c for c in base)
    evt = event('{"a":1}', content_type=cased + params)
    assert outcome(evt) == (200, {"a": 1})
    canonical = with_json_media_type(evt)
    assert canonical["headers"]["Content-Type"].startswith("application/json")
    assert canonical["multiValueHeaders"]["Content-Type"][0].startswith("application/json")


@FAST
@given(st.from_regex(r"\A[a-z]{1,10}/[a-z0-9.+-]{1,12}\Z"))
def test_other_media_types_are_415(declared: str) -> None:
    if declared == "application/json" or (declared.startswith("application/") and declared.endswith("+json")):
        return
    assert outcome(event('{"a":1}', content_type=declared.upper()))[0] == 415


@FAST
@given(st.text(max_size=30))
def test_strings_are_accepted_unless_they_are_not_unicode(value: str) -> None:
    text = json.dumps({"s": value})  # ensure_ascii: surrogates travel as \\udXXX escapes
    status, result = outcome(event(text))
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        assert status == 400
    else:
        assert (status, result) == (200, {"s": value})
        assert outcome(event(json.dumps({"s": unicodedata.normalize("NFD", value)})))[0] == 200


@FAST
@given(st.integers(min_value=39, max_value=6000))
def test_integers_too_long_for_dynamodb_are_refused_not_crashed(digits: int) -> None:
    # Python refuses int() of more than 4300 digits with ValueError, which Powertools does not catch.
    assert outcome(event('{"n":' + "9" * digits + "}"))[0] == 422


# ---- examples ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ['{"n": NaN}', '{"n": Infinity}', '{"n": -Infinity}', "{'a': 1}", '{"a":1}}', '{"a":"\\x"}']
)
def test_not_json_is_400(text: str) -> None:
    assert outcome(event(text))[0] == 400


def test_a_huge_exponent_is_422() -> None:
    assert outcome(event('{"n": 1e999}'))[0] == 422


def test_base64_bodies_are_415_and_empty_bodies_pass() -> None:
    assert outcome(event("e30=", isBase64Encoded=True))[0] == 415
    assert outcome(event(None)) == (200, None)
    assert outcome(event("")) == (200, None)


def test_a_missing_content_type_is_taken_as_json() -> None:
    assert outcome(event('{"a":1}', content_type=None)) == (200, {"a": 1})


def test_raw_routes_check_only_size_and_media_type() -> None:
    assert outcome(event("[]"), parse=False) == (200, "[]")
    assert outcome(event("x" * (MAX_BODY_BYTES + 1)), parse=False)[0] == 413
    assert outcome(event("[]", content_type="text/plain"), parse=False)[0] == 415


def test_media_type_drops_parameters_and_case() -> None:
    assert media_type(" Application/JSON ; charset=UTF-8") == "application/json"
    assert media_type(None) == ""
