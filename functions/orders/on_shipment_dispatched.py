"""ShipmentDispatched (from the warehouse) → a CONFIRMED order is SHIPPED (OrderShipped).

Inbound from another system, so checked harder: an event that does not fit its schema or names an
order we do not have goes to the dead-letter queue with the reason logged. A shipment that
overtakes the order's confirmation (the order is still PENDING) is retried until it is confirmed;
for an order that is already shipped, cancelled or rejected it is a logged no-op.
"""

from __future__ import annotations

from commerce.consumer import Delivery, InvalidEvent, consumer
from commerce.events import ShipmentDispatched
from orders import domain
from orders.saga import advance
from orders.service import TransitionOutcome


class NotYetConfirmed(Exception):
    """The shipment arrived before the order's confirmation; SQS delivers it again later."""


def handle(delivery: Delivery) -> None:
    shipment: ShipmentDispatched = delivery.data
    result = advance(
        delivery,
        domain.SHIPPED,
        details={"carrier": shipment.carrier, "trackingNumber": shipment.trackingNumber},
    )
    if result.outcome is TransitionOutcome.NOT_FOUND:
        raise InvalidEvent(f"ShipmentDispatched for unknown order {shipment.orderId!r}")
    if result.outcome is TransitionOutcome.NOT_ALLOWED and result.previous_status == domain.PENDING:
        raise NotYetConfirmed(shipment.orderId)


lambda_handler = consumer(handle, accepts={"ShipmentDispatched": ShipmentDispatched})
