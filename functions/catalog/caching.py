"""Public, cacheable JSON responses (docs/decisions.md §9): a strong ETag (RFC 9110 §8.8.3) and
`Cache-Control`; `If-None-Match` → 304 with an empty body. HTTP only: no catalog rule lives here."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from commerce.api import json_response

CACHE_CONTROL = "public, max-age=30"


def canonical_json(body: Any) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entity_tag(body: Any) -> str:
    """A strong ETag: the SHA-256 of the canonical JSON of the representation."""
    return '"' + hashlib.sha256(canonical_json(body).encode()).hexdigest()[:32] + '"'


def matches_if_none_match(header: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match for GET: `*` or any listed tag (weak comparison) matches."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == opaque for candidate in header.split(","))


def cacheable_response(app: APIGatewayRestResolver, body: Any) -> Response[Any]:
    etag = entity_tag(body)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if matches_if_none_match(app.current_event.headers.get("if-none-match"), etag):
        return Response(status_code=304, body="", headers=headers)
    return json_response(200, body, headers=headers)
