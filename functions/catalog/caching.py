"""Public, cacheable JSON responses: a strong ETag and `Cache-Control`, `If-None-Match` → 304."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from catalog.domain import entity_tag, matches_if_none_match
from commerce.api import json_response

CACHE_CONTROL = "public, max-age=30"


def cacheable_response(app: APIGatewayRestResolver, body: Any) -> Response[Any]:
    etag = entity_tag(body)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if matches_if_none_match(app.current_event.headers.get("if-none-match"), etag):
        return Response(status_code=304, body="", headers=headers)
    return json_response(200, body, headers=headers)
