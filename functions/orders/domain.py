"""Order rules: pricing an order from catalog data, the idempotency fingerprint, who may see an
order, the order state machine, and the errors they raise. Pure Python: no AWS, no HTTP.

State machine (CONTRACT §1; there are no internal in-between states):

    PENDING ──PaymentSucceeded──▶ CONFIRMED ──ShipmentDispatched──▶ SHIPPED
       │  └──StockReservationFailed──▶ REJECTED
       └──PaymentFailed / cancel──▶ CANCELLED ◀──cancel── CONFIRMED

`ALLOWED_FROM[to]` is the set of statuses an order may move to `to` from; `decide()` turns the
current status into APPLY / ALREADY (a duplicate or late trigger: do nothing, report success) /
NOT_ALLOWED.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

from commerce.clock import iso_now
from commerce.errors import Conflict, MalformedRequest, NotFound, RateLimited, Rejected

PENDING = "PENDING"
CONFIRMED = "CONFIRMED"
SHIPPED = "SHIPPED"
REJECTED = "REJECTED"
CANCELLED = "CANCELLED"
STATUSES = (PENDING, CONFIRMED, SHIPPED, REJECTED, CANCELLED)

ALLOWED_FROM: dict[str, frozenset[str]] = {
    CONFIRMED: frozenset({PENDING}),
    REJECTED: frozenset({PENDING}),
    CANCELLED: frozenset({PENDING, CONFIRMED}),
    SHIPPED: frozenset({CONFIRMED}),
}
CANCELLABLE = ALLOWED_FROM[CANCELLED]

IDEMPOTENCY_TTL_SECONDS = 24 * 3600


class OrderNotFound(NotFound):
    """No such order, or not the caller's: both look the same (CONTRACT §1)."""

    def __init__(self) -> None:
        super().__init__("No such order.")


class NotCancellable(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__(f"An order in status {status} can no longer be cancelled.")


class MissingIdempotencyKey(MalformedRequest):
    def __init__(self) -> None:
        super().__init__("The Idempotency-Key header is required: 1-128 printable characters.")


class IdempotencyKeyReused(Rejected):
    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used with a different request body.",
            errors=[{"loc": ["header", "Idempotency-Key"], "msg": "reused with a different body"}],
        )


class IdempotencyKeyInProgress(Conflict):
    def __init__(self) -> None:
        super().__init__("Another request with this Idempotency-Key is in progress; try again.")


class OrderContended(RateLimited):
    """Other writes kept changing the order while a transition was applied: try again shortly."""

    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id} kept changing; try again", retry_after_seconds=1)
        self.order_id = order_id


class Outcome(Enum):
    APPLY = "apply"
    ALREADY = "already"
    NOT_ALLOWED = "not_allowed"


def decide(current: str, to_status: str, allowed_from: frozenset[str] | None = None) -> Outcome:
    if current == to_status:
        return Outcome.ALREADY
    allowed = ALLOWED_FROM.get(to_status, frozenset()) if allowed_from is None else allowed_from
    return Outcome.APPLY if current in allowed else Outcome.NOT_ALLOWED


def fingerprint(canonical_request: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the request: equal requests, equal fingerprints."""
    text = json.dumps(canonical_request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def valid_idempotency_key(key: str | None) -> bool:
    return bool(key) and len(key or "") <= 128 and (key or "").isprintable() and key == (key or "").strip()


def price_lines(
    lines: Sequence[Mapping[str, Any]], catalog: Mapping[str, Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Order lines priced from `catalog` (productId → {name, price}) and the total.

    422 for a product listed twice, an unknown product, or lines in more than one currency."""
    seen: set[str] = set()
    errors: list[dict[str, Any]] = []
    for index, line in enumerate(lines):
        product_id = line["productId"]
        if product_id in seen:
            errors.append({"loc": ["body", "items", str(index), "productId"], "msg": "listed twice"})
        elif product_id not in catalog:
            errors.append({"loc": ["body", "items", str(index), "productId"], "msg": "no such product"})
        seen.add(product_id)
    if errors:
        raise Rejected("The order names products that cannot be ordered as given.", errors=errors)

    items = []
    for line in lines:
        product = catalog[line["productId"]]
        price = product["price"]
        items.append(
            {
                "productId": line["productId"],
                "name": product["name"],
                "quantity": int(line["quantity"]),
                "unitPrice": {"amount": int(price["amount"]), "currency": str(price["currency"])},
            }
        )
    currencies = {item["unitPrice"]["currency"] for item in items}
    if len(currencies) != 1:
        raise Rejected(
            "All products of one order must be priced in the same currency.",
            errors=[{"loc": ["body", "items"], "msg": f"mixed currencies: {', '.join(sorted(currencies))}"}],
        )
    total = {
        "amount": sum(item["unitPrice"]["amount"] * item["quantity"] for item in items),
        "currency": currencies.pop(),
    }
    return items, total


def new_order(
    *,
    user_id: str,
    items: list[dict[str, Any]],
    total: dict[str, Any],
    payment_method_id: str,
    shipping_address: dict[str, Any] | None,
    now: str | None = None,
    order_id: str | None = None,
) -> dict[str, Any]:
    created = now or iso_now()
    order: dict[str, Any] = {
        "orderId": order_id or str(uuid.uuid4()),
        "userId": user_id,
        "status": PENDING,
        "items": items,
        "total": total,
        "paymentMethodId": payment_method_id,
        "createdAt": created,
        "updatedAt": created,
    }
    if shipping_address:
        order["shippingAddress"] = shipping_address
    return order


def list_scope(user_id: str) -> str:
    """What a user's list cursor is bound to: another user's cursor is refused (docs/decisions.md §8)."""
    return f"orders:list:{user_id}"


def visible_to(order: Mapping[str, Any], user_id: str, is_admin: bool) -> bool:
    """Owner or admin; everybody else must not learn that the order exists (404)."""
    return is_admin or order.get("userId") == user_id


def check_cancellable(order: Mapping[str, Any]) -> None:
    if order["status"] not in CANCELLABLE:
        raise NotCancellable(order["status"])


def cancel_reason(order: Mapping[str, Any], user_id: str) -> str:
    return "cancelled by customer" if order.get("userId") == user_id else "cancelled by admin"
