"""Orders use cases: place (idempotent), get, list, cancel, and the guarded status transition the
cancel route and every saga consumer share (docs/decisions.md §7).

    result = orders().transition(
        order_id, domain.CONFIRMED,
        trigger_event_id=delivery.event_id,          # PaymentSucceeded's eventId
        correlation_id=delivery.correlation_id,
    )
    if result.outcome is TransitionOutcome.NOT_ALLOWED: ...   # e.g. log and ack (a late event)

A transition reads the order (one strongly consistent GetItem, unless the caller passes `current`),
asks `domain.decide` whether `to_status` is allowed from its status (`domain.ALLOWED_FROM`, or the
caller's narrower `allowed_from`), and writes the conditional update (status and version unchanged
since the read) with the event's outbox entry in ONE transaction, re-reading up to 3 times when the
order changed in between. It never raises for a duplicate or late trigger: the outbox event id is
uuid5(order, status, trigger eventId), so a redelivered trigger can neither apply nor publish twice.
Without a trigger (an HTTP cancel) the event id is random.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from commerce.clock import iso_now
from commerce.events import (
    Money,
    OrderCancelled,
    OrderConfirmed,
    OrderLine,
    OrderPlaced,
    OrderRejected,
    OrderShipped,
)
from commerce.retry import delays
from orders import domain
from orders.ports import (
    EventAlreadyRecorded,
    IdempotencyKeyTaken,
    OrderStore,
    StoredOrder,
    TransitionConflict,
)

PLACE_ATTEMPTS = 4
TRANSITION_ATTEMPTS = 3
if TYPE_CHECKING:
    from pydantic import BaseModel

    # The HTTP body's model: imported for its type only, so the saga consumers (which share this
    # module) do not load the API's models and OpenAPI helpers at cold start.
    from orders.models import PlaceOrderRequest

EVENT_FOR_STATUS: dict[str, str] = {
    domain.CONFIRMED: "OrderConfirmed",
    domain.REJECTED: "OrderRejected",
    domain.CANCELLED: "OrderCancelled",
    domain.SHIPPED: "OrderShipped",
}
EVENT_ID_NAMESPACE = uuid.UUID("6f1d3c52-8a0e-4f57-9d1b-2c4e6a8b0d13")


@dataclass(frozen=True)
class Placed:
    order: dict[str, Any]
    replayed: bool  # True: the key was used before with this body; this is that order again


class TransitionOutcome(Enum):
    APPLIED = "applied"  # the status changed now and the event is in the outbox
    ALREADY = "already"  # the order already had that status (duplicate trigger): nothing written
    NOT_ALLOWED = "not_allowed"  # the current status does not allow it (late trigger): nothing written
    NOT_FOUND = "not_found"  # no such order: nothing written


@dataclass(frozen=True)
class TransitionResult:
    outcome: TransitionOutcome
    order: dict[str, Any] | None  # the order after the call (None when not found)
    previous_status: str | None = None

    @property
    def applied(self) -> bool:
        return self.outcome is TransitionOutcome.APPLIED


def event_id_for(order_id: str, to_status: str, trigger_event_id: str | None) -> str:
    if trigger_event_id is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{order_id}|{to_status}|{trigger_event_id}"))


def _order_lines(items: list[dict[str, Any]]) -> list[OrderLine]:
    return [
        OrderLine(productId=i["productId"], quantity=i["quantity"], unitPrice=Money(**i["unitPrice"]))
        for i in items
    ]


def _transition_event(
    order: dict[str, Any], to_status: str, reason: str | None, details: dict[str, Any]
) -> BaseModel:
    common: dict[str, Any] = {
        "orderId": order["orderId"],
        "userId": order["userId"],
        "status": to_status,
        "total": Money(**order["total"]),
        "reason": reason,
    }
    if to_status == domain.CONFIRMED:
        return OrderConfirmed(**common)
    if to_status == domain.REJECTED:
        return OrderRejected(**common)
    if to_status == domain.CANCELLED:
        return OrderCancelled(**common, items=_order_lines(order["items"]))
    if to_status == domain.SHIPPED:
        return OrderShipped(
            **common, carrier=details.get("carrier"), trackingNumber=details.get("trackingNumber")
        )
    raise ValueError(f"no event for status {to_status}")


@dataclass(frozen=True)
class Orders:
    store: OrderStore
    clock: Callable[[], str] = field(default=iso_now)  # ISO 8601 now (commerce.clock)

    # ---- placing ------------------------------------------------------------------------------

    def place_order(
        self,
        *,
        user_id: str,
        idempotency_key: str | None,
        request: PlaceOrderRequest,
        correlation_id: str,
        order_id: str | None = None,
    ) -> Placed:
        """Happy path: one BatchGetItem (idempotency record + catalog prices), one TransactWriteItems.

        Same key + same body → the same order, nothing written; same key + other body → 422; two
        concurrent requests with one key → the transaction admits exactly one of them."""
        if not domain.valid_idempotency_key(idempotency_key):
            raise domain.MissingIdempotencyKey()
        key = str(idempotency_key)
        lines = [line.model_dump() for line in request.items]
        request_hash = domain.fingerprint(request.canonical())

        record, catalog = self.store.read_for_placement(user_id, key, [line["productId"] for line in lines])
        if record is not None:
            return self._replay(record, request_hash)

        items, total = domain.price_lines(lines, catalog)
        order = domain.new_order(
            user_id=user_id,
            items=items,
            total=total,
            payment_method_id=request.paymentMethodId,
            shipping_address=request.shippingAddress,
            now=self.clock(),
            order_id=order_id,  # new unless given (the local stack's demo data has fixed ids)
        )
        event = OrderPlaced(
            orderId=order["orderId"],
            userId=user_id,
            items=_order_lines(items),
            total=Money(**total),
            paymentMethodId=request.paymentMethodId,
        )
        # The other writer's transaction may still be in flight: give it a moment to commit.
        waits = delays(PLACE_ATTEMPTS, base=0.05, cap=0.2)
        while True:
            try:
                self.store.place(
                    order,
                    idempotency=(user_id, key),
                    request_hash=request_hash,
                    ttl_seconds=domain.IDEMPOTENCY_TTL_SECONDS,
                    event=event,
                    correlation_id=correlation_id,
                )
                return Placed(order, replayed=False)
            except IdempotencyKeyTaken as taken:
                winner = self.store.idempotency_record(user_id, key)
                if winner is not None:
                    return self._replay(winner, request_hash)
                wait = next(waits, None) if taken.contended else None
                if wait is None:
                    raise domain.IdempotencyKeyInProgress() from None
            time.sleep(wait)

    def _replay(self, record: dict[str, Any], request_hash: str) -> Placed:
        if record.get("requestHash") != request_hash:
            raise domain.IdempotencyKeyReused()
        stored = self.store.get(str(record["orderId"]))
        if stored is None:  # cannot happen: the record and the order are written in one transaction
            raise domain.IdempotencyKeyInProgress()
        return Placed(stored.order, replayed=True)

    # ---- reading ------------------------------------------------------------------------------

    def get_order(self, order_id: str, *, user_id: str, is_admin: bool) -> dict[str, Any]:
        stored = self.store.get(order_id)
        if stored is None or not domain.visible_to(stored.order, user_id, is_admin):
            raise domain.OrderNotFound()
        return stored.order

    def list_orders(self, user_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
        page = self.store.page_for_user(user_id, limit, cursor)
        return {"items": page.items, "nextCursor": page.next_cursor}

    # ---- changing status ----------------------------------------------------------------------

    def cancel_order(
        self, order_id: str, *, user_id: str, is_admin: bool, correlation_id: str
    ) -> dict[str, Any]:
        """Owner or admin (else 404); PENDING or CONFIRMED (else 409, CANCELLED included)."""
        stored = self.store.get(order_id)
        if stored is None or not domain.visible_to(stored.order, user_id, is_admin):
            raise domain.OrderNotFound()
        domain.check_cancellable(stored.order)
        result = self.transition(
            order_id,
            domain.CANCELLED,
            trigger_event_id=None,
            correlation_id=correlation_id,
            reason=domain.cancel_reason(stored.order, user_id),
            current=stored,
        )
        if result.outcome is not TransitionOutcome.APPLIED or result.order is None:
            raise domain.NotCancellable(result.order["status"] if result.order else "unknown")
        return result.order

    def transition(
        self,
        order_id: str,
        to_status: str,
        *,
        trigger_event_id: str | None,
        correlation_id: str = "",
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        allowed_from: frozenset[str] | None = None,
        current: StoredOrder | None = None,
    ) -> TransitionResult:
        """Move order `order_id` to `to_status` (see the module docstring). `details` are stored on
        the order and copied into the event where it has fields for them (carrier, trackingNumber)."""
        if to_status not in EVENT_FOR_STATUS:
            raise ValueError(f"cannot transition to {to_status}")
        details = dict(details or {})
        event_id = event_id_for(order_id, to_status, trigger_event_id)
        for _ in range(TRANSITION_ATTEMPTS):
            stored = current or self.store.get(order_id)
            current = None
            if stored is None:
                return TransitionResult(TransitionOutcome.NOT_FOUND, None)
            status = stored.order["status"]
            decision = domain.decide(status, to_status, allowed_from)
            if decision is domain.Outcome.ALREADY:
                return TransitionResult(TransitionOutcome.ALREADY, stored.order, status)
            if decision is domain.Outcome.NOT_ALLOWED:
                return TransitionResult(TransitionOutcome.NOT_ALLOWED, stored.order, status)
            updated_at = self.clock()
            after = {**stored.order, "status": to_status, "updatedAt": updated_at}
            try:
                result = self.store.apply_transition(
                    stored,
                    to_status,
                    updated_at=updated_at,
                    event_name=EVENT_FOR_STATUS[to_status],
                    event_data=_transition_event(after, to_status, reason, details),
                    event_id=event_id,
                    correlation_id=correlation_id,
                    attributes={**details, **({"statusReason": reason} if reason else {})},
                )
            except TransitionConflict:
                continue
            except EventAlreadyRecorded:
                # This trigger was applied before (and the order has moved on since): nothing to do.
                return TransitionResult(TransitionOutcome.ALREADY, stored.order, status)
            return TransitionResult(TransitionOutcome.APPLIED, result.order, status)
        fresh = self.store.get(order_id)
        if fresh is None:
            return TransitionResult(TransitionOutcome.NOT_FOUND, None)
        status = fresh.order["status"]
        decision = domain.decide(status, to_status, allowed_from)
        if decision is domain.Outcome.APPLY:
            # Still allowed, only contended: the trigger must not be dropped (a payment would be
            # left unconfirmed); the consumer sends it again shortly.
            raise domain.OrderContended(order_id)
        outcome = (
            TransitionOutcome.ALREADY if decision is domain.Outcome.ALREADY else TransitionOutcome.NOT_ALLOWED
        )
        return TransitionResult(outcome, fresh.order, status)
