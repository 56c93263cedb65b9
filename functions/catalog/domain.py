"""Catalog rules: creating a product, applying an admin's changes, and HTTP cache validators.

Pure functions over plain dicts (the product as the API shows it); no AWS, no event shapes.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

PRODUCT_FIELDS = ("productId", "name", "description", "price", "stock", "createdAt", "updatedAt")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_product(
    fields: dict[str, Any], *, now: str | None = None, product_id: str | None = None
) -> dict[str, Any]:
    """A new product from validated POST /products fields."""
    created = now or now_iso()
    return {
        "productId": product_id or str(uuid.uuid4()),
        "name": fields["name"],
        "description": fields.get("description", ""),
        "price": dict(fields["price"]),
        "stock": int(fields["stock"]),
        "createdAt": created,
        "updatedAt": created,
    }


def apply_changes(
    product: dict[str, Any], changes: dict[str, Any], *, now: str | None = None
) -> dict[str, Any]:
    """`product` with the supplied (non-null) fields of a PATCH applied and `updatedAt` moved on."""
    updated = dict(product)
    for field in ("name", "description", "price", "stock"):
        if changes.get(field) is not None:
            updated[field] = changes[field]
    updated["updatedAt"] = now or now_iso()
    return updated


# ---- conditional GET ------------------------------------------------------------------------


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
