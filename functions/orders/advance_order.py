"""The saga's verdicts on an order, one consumer for all three (they share a queue and a function):

    StockReservationFailed → REJECTED  (OrderRejected)
    PaymentSucceeded       → CONFIRMED (OrderConfirmed)
    PaymentFailed          → CANCELLED (OrderCancelled; only from PENDING — inventory releases the stock)

Each is one guarded transition (`Orders.transition`): a duplicate, late or out-of-order event is a
logged no-op, never an error and never a regression. A payment for an order cancelled meanwhile
changes nothing here; the payments service refunds it when it sees the cancellation.
"""

from __future__ import annotations

from commerce.consumer import Delivery, consumer
from commerce.events import PaymentFailed, PaymentSucceeded, StockReservationFailed
from orders import domain
from orders.saga import advance


def handle(delivery: Delivery) -> None:
    if isinstance(delivery.data, StockReservationFailed):
        advance(delivery, domain.REJECTED, reason="out_of_stock")
    elif isinstance(delivery.data, PaymentSucceeded):
        advance(delivery, domain.CONFIRMED)
    elif isinstance(delivery.data, PaymentFailed):
        advance(
            delivery,
            domain.CANCELLED,
            reason=f"payment_failed: {delivery.data.reason}",
            allowed_from=frozenset({domain.PENDING}),
        )


lambda_handler = consumer(
    handle,
    accepts={
        "StockReservationFailed": StockReservationFailed,
        "PaymentSucceeded": PaymentSucceeded,
        "PaymentFailed": PaymentFailed,
    },
)
