"""The request-body edge: what every JSON route refuses before Powertools or pydantic parse anything.

`read_body(event)` checks an API Gateway proxy event's body and returns the parsed JSON, or raises
`BodyRefused` with the status the caller gets:

- 413: more than `MAX_BODY_BYTES` (64 KiB, CONTRACT §1);
- 415: a media type other than JSON (`application/json` or `*/*+json`, compared case-insensitively
  as RFC 9110 §8.3.1 says; parameters such as `charset` are ignored), or a base64-encoded body;
- 400: not JSON text (a syntax error, `NaN`/`Infinity`, a string that is not valid Unicode such as a
  lone surrogate escape `"\\ud800"`);
- 422: JSON, but no route of ours takes it: nested deeper than `MAX_DEPTH`, a container with more than
  `MAX_MEMBERS` members, an integer of more than `MAX_INTEGER_DIGITS` digits (DynamoDB keeps 38), a
  float that does not fit a double, or — unless the route reads raw bytes — a top level that is not
  an object.

The nesting depth is measured on the text before `json.loads` runs (strings removed by one regular
expression, then the brackets counted), so a 1,000-level document never reaches the recursive C
decoder. `media_type()` and `with_json_media_type()` let the resolver hand Powertools a canonical
`Content-Type`. Standard library only: every API function imports this at cold start.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 32
MAX_MEMBERS = 1000
MAX_INTEGER_DIGITS = 38
JSON_MEDIA_TYPE = "application/json"

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class BodyRefused(Exception):
    """The body cannot be taken as given; `status` and `detail` are what the caller sees."""

    def __init__(self, status: int, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors


def _unprocessable(msg: str, loc: list[str] | None = None) -> BodyRefused:
    return BodyRefused(
        422,
        "The request body is JSON, but not a document this API accepts.",
        errors=[{"loc": loc or ["body"], "msg": msg}],
    )


def header(event: Mapping[str, Any], name: str) -> str | None:
    """A request header by case-insensitive name (the last value API Gateway kept)."""
    wanted = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if str(key).lower() == wanted:
            return None if value is None else str(value)
    return None


def media_type(content_type: str | None) -> str:
    """`type/subtype` of a Content-Type value, lower-cased (RFC 9110 §8.3.1), parameters dropped."""
    return str(content_type or "").split(";", 1)[0].strip().lower()


def is_json_media_type(value: str) -> bool:
    return value == JSON_MEDIA_TYPE or (value.startswith("application/") and value.endswith("+json"))


def with_json_media_type(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event with its Content-Type spelled `application/json[; params]`, the one form
    Powertools recognises (it compares the header's prefix case-sensitively)."""

    def canonical(value: Any) -> Any:
        if value is None:
            return value
        _, sep, params = str(value).partition(";")
        return JSON_MEDIA_TYPE + (sep + params if sep else "")

    copy = dict(event)
    for field in ("headers", "multiValueHeaders"):
        headers = event.get(field)
        if not isinstance(headers, Mapping):
            continue
        rewritten = {}
        for key, value in headers.items():
            if str(key).lower() != "content-type":
                rewritten[key] = value
            elif isinstance(value, list):
                rewritten[key] = [canonical(v) for v in value]
            else:
                rewritten[key] = canonical(value)
        copy[field] = rewritten
    return copy


def nesting_depth(text: str) -> int:
    """How deep `text` nests arrays and objects, strings ignored; never less than a JSON decoder
    would descend before it stops (an unterminated string leaves its brackets counted)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub('""', text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(0, depth - 1)
    return deepest


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _unprocessable(f"an integer has more than {MAX_INTEGER_DIGITS} digits")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _unprocessable("a number does not fit a double")
    return value


def _parse_constant(name: str) -> Any:
    raise BodyRefused(400, f"The request body is not valid JSON ({name} is not a JSON value).")


def _check_members(document: Any) -> None:
    """Container widths and string contents, walked without recursion."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise BodyRefused(400, "The request body is not valid Unicode text (a lone surrogate).")
        elif isinstance(value, dict):
            if len(value) > MAX_MEMBERS:
                raise _unprocessable(f"an object has more than {MAX_MEMBERS} members")
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            if len(value) > MAX_MEMBERS:
                raise _unprocessable(f"an array has more than {MAX_MEMBERS} items")
            pending.extend(value)


def parse_json(text: str, *, object_only: bool = True) -> Any:
    """`text` as JSON within the limits above, or `BodyRefused`."""
    if nesting_depth(text) > MAX_DEPTH:
        raise _unprocessable(f"nested deeper than {MAX_DEPTH} levels")
    try:
        document = json.loads(
            text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant
        )
    except BodyRefused:
        raise
    except RecursionError:  # unreachable after nesting_depth; kept so no decoder path can 500
        raise _unprocessable(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:  # JSONDecodeError and int() refusals alike
        raise BodyRefused(400, "The request body is not valid JSON.") from None
    _check_members(document)
    if object_only and not isinstance(document, dict):
        raise _unprocessable("must be a JSON object")
    return document


def body_size(event: Mapping[str, Any]) -> int:
    body = event.get("body") or ""
    size = len(body.encode("utf-8", "surrogatepass")) if isinstance(body, str) else len(body)
    return size * 3 // 4 if event.get("isBase64Encoded") else size


def read_body(event: Mapping[str, Any], *, object_only: bool = True, parse: bool = True) -> Any:
    """The parsed body of an API Gateway proxy event (None when it has none), or `BodyRefused`.

    `parse=False` (a route that verifies the raw bytes first, e.g. a signed webhook) checks only
    size and media type and returns the text."""
    body = event.get("body")
    if not body:
        return None
    if body_size(event) > MAX_BODY_BYTES:
        raise BodyRefused(413, f"The request body exceeds {MAX_BODY_BYTES} bytes.")
    declared = media_type(header(event, "content-type"))
    if declared and not is_json_media_type(declared):
        raise BodyRefused(415, "The request body must be application/json.")
    if event.get("isBase64Encoded") or not isinstance(body, str):
        raise BodyRefused(415, "The request body must be UTF-8 JSON text.")
    if not parse:
        return body
    return parse_json(body, object_only=object_only)
