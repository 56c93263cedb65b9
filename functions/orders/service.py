"""Orders use cases behind the HTTP routes: place (idempotent), get, list, cancel."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from commerce.cursor import decode_cursor, encode_cursor
from commerce.events import Money, OrderLine, OrderPlaced
from commerce.problems import BadRequest, Conflict, NotFound, Unprocessable
from orders import domain
from orders.models import PlaceOrderRequest
from orders.store import IdempotencyKeyTaken, OrdersStore
from orders.transitions import TransitionOutcome, transition

PLACE_ATTEMPTS = 4
CONTENDED_BACKOFF_SECONDS = 0.05


@dataclass(frozen=True)
class Placed:
    order: dict[str, Any]
    replayed: bool  # True: the key was used before with this body; this is that order again


def _reused_key() -> Unprocessable:
    return Unprocessable(
        "This Idempotency-Key was already used with a different request body.",
        errors=[{"loc": ["header", "Idempotency-Key"], "msg": "reused with a different body"}],
    )


def _replay(store: OrdersStore, record: dict[str, Any], request_hash: str) -> Placed:
    if record.get("requestHash") != request_hash:
        raise _reused_key()
    stored = store.get(str(record["orderId"]))
    if stored is None:  # cannot happen: the record and the order are written in one transaction
        raise Conflict("The order for this Idempotency-Key is not available; try again.")
    return Placed(stored.order, replayed=True)


def place_order(
    *,
    user_id: str,
    idempotency_key: str | None,
    request: PlaceOrderRequest,
    correlation_id: str,
    store: OrdersStore | None = None,
) -> Placed:
    """Happy path: one BatchGetItem (idempotency record + catalog prices), one TransactWriteItems.

    Same key + same body → the same order, nothing written; same key + other body → 422; two
    concurrent requests with one key → the transaction admits exactly one of them."""
    if not domain.valid_idempotency_key(idempotency_key):
        raise BadRequest("The Idempotency-Key header is required: 1-128 printable characters.")
    key = str(idempotency_key)
    store = store or OrdersStore()
    lines = [line.model_dump() for line in request.items]
    request_hash = domain.fingerprint(request.canonical())

    record, catalog = store.read_for_placement(user_id, key, [line["productId"] for line in lines])
    if record is not None:
        return _replay(store, record, request_hash)

    items, total = domain.price_lines(lines, catalog)
    order = domain.new_order(
        user_id=user_id,
        items=items,
        total=total,
        payment_method_id=request.paymentMethodId,
        shipping_address=request.shippingAddress,
    )
    event = OrderPlaced(
        orderId=order["orderId"],
        userId=user_id,
        items=[
            OrderLine(productId=i["productId"], quantity=i["quantity"], unitPrice=Money(**i["unitPrice"]))
            for i in items
        ],
        total=Money(**total),
        paymentMethodId=request.paymentMethodId,
    )
    for _ in range(PLACE_ATTEMPTS):
        try:
            store.place(
                order,
                idempotency=(user_id, key),
                request_hash=request_hash,
                ttl_seconds=domain.IDEMPOTENCY_TTL_SECONDS,
                event=event,
                correlation_id=correlation_id,
            )
            return Placed(order, replayed=False)
        except IdempotencyKeyTaken as taken:
            winner = store.idempotency_record(user_id, key)
            if winner is not None:
                return _replay(store, winner, request_hash)
            if not taken.contended:
                break
            # The other writer's transaction is still in flight: give it a moment to commit.
            time.sleep(CONTENDED_BACKOFF_SECONDS)
    raise Conflict("Another request with this Idempotency-Key is in progress; try again.")


def get_order(
    order_id: str, *, user_id: str, is_admin: bool, store: OrdersStore | None = None
) -> dict[str, Any]:
    stored = (store or OrdersStore()).get(order_id)
    if stored is None or not domain.visible_to(stored.order, user_id, is_admin):
        raise NotFound("No such order.")
    return stored.order


def list_scope(user_id: str) -> str:
    return f"orders:list:{user_id}"


def list_orders(
    user_id: str, limit: int, cursor: str | None, store: OrdersStore | None = None
) -> dict[str, Any]:
    scope = list_scope(user_id)
    start = decode_cursor(cursor, scope=scope) if cursor is not None else None
    items, last_key = (store or OrdersStore()).page_for_user(user_id, limit, start)
    return {"items": items, "nextCursor": encode_cursor(last_key, scope=scope) if last_key else None}


def cancel_order(
    order_id: str, *, user_id: str, is_admin: bool, correlation_id: str, store: OrdersStore | None = None
) -> dict[str, Any]:
    """Owner or admin (else 404); PENDING or CONFIRMED (else 409, CANCELLED included)."""
    store = store or OrdersStore()
    stored = store.get(order_id)
    if stored is None or not domain.visible_to(stored.order, user_id, is_admin):
        raise NotFound("No such order.")
    domain.check_cancellable(stored.order)
    result = transition(
        order_id,
        domain.CANCELLED,
        trigger_event_id=None,
        correlation_id=correlation_id,
        reason=domain.cancel_reason(stored.order, user_id),
        current=stored,
        store=store,
    )
    if result.outcome is not TransitionOutcome.APPLIED or result.order is None:
        status = result.order["status"] if result.order else "unknown"
        raise Conflict(f"An order in status {status} can no longer be cancelled.")
    return result.order
