"""The event contract: the envelope and every event the system publishes or accepts.

`Detail = {"metadata": {...}, "data": {...}}`; `Source = commerce.<service>`; `DetailType` = the
event name. `eventId` is fixed when the event is first recorded (in the outbox), so retries carry
the same id and consumers deduplicate on it. Personal data (email, phone, address) and payment
secrets never appear here.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from commerce.clock import iso_now
from commerce.model import Model
from commerce.money import CURRENCIES, check_currency

EVENT_VERSION = "1"


#: An ISO 4217 code in use (commerce.money.CURRENCIES); anything else, `XXY` or `XTS`, is refused.
Currency = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code in use (upper case)",
        json_schema_extra={"enum": sorted(CURRENCIES)},
    ),
    AfterValidator(check_currency),
]
AMOUNT_DESCRIPTION = (
    "Integer minor units of the currency (its ISO 4217 exponent): 1999 EUR = 19.99 EUR, "
    "500 JPY = 500 yen, 1500 KWD = 1.500 dinar"
)


class Money(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: int = Field(ge=0, description=AMOUNT_DESCRIPTION)
    currency: Currency


class EventMetadata(Model):
    model_config = ConfigDict(extra="allow")

    eventId: str = Field(min_length=1, max_length=128)
    eventVersion: str = EVENT_VERSION
    occurredAt: str
    correlationId: str = ""


def new_metadata(correlation_id: str = "", event_id: str | None = None) -> EventMetadata:
    return EventMetadata(
        eventId=event_id or str(uuid.uuid4()),
        occurredAt=iso_now(),
        correlationId=correlation_id,
    )


# ---- identity -------------------------------------------------------------------------------


class UserRegistered(Model):
    model_config = ConfigDict(extra="forbid")
    userId: str
    roles: list[str] = []
    contact: str | None = Field(
        default=None,
        description="Contact address encrypted under the notifications contact key (never plaintext)",
    )


class UserDeleted(Model):
    model_config = ConfigDict(extra="forbid")
    userId: str


# ---- catalog / inventory --------------------------------------------------------------------


class ProductCreated(Model):
    model_config = ConfigDict(extra="forbid")
    productId: str
    name: str
    price: Money
    stock: int


class ProductUpdated(Model):
    model_config = ConfigDict(extra="forbid")
    productId: str
    name: str
    price: Money
    stock: int


class OrderLine(Model):
    model_config = ConfigDict(extra="forbid")
    productId: str
    quantity: int = Field(ge=1, le=100)
    unitPrice: Money | None = None


class StockReserved(Model):
    model_config = ConfigDict(extra="forbid")
    orderId: str
    items: list[OrderLine]


class StockReservationFailed(Model):
    model_config = ConfigDict(extra="forbid")
    orderId: str
    reason: str
    productIds: list[str] = []


class StockReleased(Model):
    model_config = ConfigDict(extra="forbid")
    orderId: str
    items: list[OrderLine]


class StockReplenished(Model):
    """Accepted from `warehouse`."""

    model_config = ConfigDict(extra="forbid")
    productId: str = Field(min_length=1, max_length=128)
    quantity: int = Field(ge=1, le=1_000_000)


# ---- orders ---------------------------------------------------------------------------------


class OrderPlaced(Model):
    model_config = ConfigDict(extra="forbid")
    orderId: str
    userId: str
    items: list[OrderLine]
    total: Money
    paymentMethodId: str = Field(description="A Stripe PaymentMethod id (a reference, not a secret)")


class OrderStatusChanged(Model):
    model_config = ConfigDict(extra="forbid")
    orderId: str
    userId: str
    status: str
    total: Money
    reason: str | None = None


class OrderConfirmed(OrderStatusChanged):
    pass


class OrderRejected(OrderStatusChanged):
    pass


class OrderCancelled(OrderStatusChanged):
    items: list[OrderLine] = []


class OrderShipped(OrderStatusChanged):
    carrier: str | None = None
    trackingNumber: str | None = None


class ShipmentDispatched(Model):
    """Accepted from `warehouse`."""

    model_config = ConfigDict(extra="forbid")
    orderId: str = Field(min_length=1, max_length=128)
    carrier: str = Field(min_length=1, max_length=128)
    trackingNumber: str = Field(min_length=1, max_length=128)


# ---- payments -------------------------------------------------------------------------------


class PaymentSucceeded(Model):
    model_config = ConfigDict(extra="forbid")
    orderId: str
    paymentId: str
    amount: Money


class PaymentFailed(Model):
    model_config = ConfigDict(extra="forbid")
    orderId: str
    reason: str


class PaymentRefunded(Model):
    model_config = ConfigDict(extra="forbid")
    orderId: str
    paymentId: str
    amount: Money


# ---- the catalogue of events ----------------------------------------------------------------

#: detail type → (source, data model)
EVENTS: dict[str, tuple[str, type[BaseModel]]] = {
    "UserRegistered": ("commerce.identity", UserRegistered),
    "UserDeleted": ("commerce.identity", UserDeleted),
    "ProductCreated": ("commerce.catalog", ProductCreated),
    "ProductUpdated": ("commerce.catalog", ProductUpdated),
    "OrderPlaced": ("commerce.orders", OrderPlaced),
    "StockReserved": ("commerce.inventory", StockReserved),
    "StockReservationFailed": ("commerce.inventory", StockReservationFailed),
    "StockReleased": ("commerce.inventory", StockReleased),
    "PaymentSucceeded": ("commerce.payments", PaymentSucceeded),
    "PaymentFailed": ("commerce.payments", PaymentFailed),
    "PaymentRefunded": ("commerce.payments", PaymentRefunded),
    "OrderConfirmed": ("commerce.orders", OrderConfirmed),
    "OrderRejected": ("commerce.orders", OrderRejected),
    "OrderCancelled": ("commerce.orders", OrderCancelled),
    "OrderShipped": ("commerce.orders", OrderShipped),
    "ShipmentDispatched": ("warehouse", ShipmentDispatched),
    "StockReplenished": ("warehouse", StockReplenished),
}


def source_of(detail_type: str) -> str:
    return EVENTS[detail_type][0]


def envelope(data: BaseModel | dict[str, Any], metadata: EventMetadata) -> dict[str, Any]:
    payload = data.model_dump(mode="json", exclude_none=True) if isinstance(data, BaseModel) else data
    return {"metadata": metadata.model_dump(mode="json"), "data": payload}


class InboundEvent(Model):
    """An EventBridge event as it arrives in an SQS message body."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: str = ""
    source: str
    detail_type: str = Field(alias="detail-type")
    detail: dict[str, Any]

    def metadata(self) -> EventMetadata:
        return EventMetadata.model_validate(self.detail.get("metadata") or {})

    def data_as(self, model: type[BaseModel]) -> Any:
        return model.model_validate(self.detail.get("data"))
