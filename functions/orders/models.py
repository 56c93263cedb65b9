"""Pydantic models of the orders HTTP API: request bodies, the order representation and a page."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints

from commerce.events import Money
from commerce.model import Model

MAX_LINES = 50
MAX_QUANTITY = 100
IGNORED = "Ignored: prices and names always come from the catalog, never from the client."

AddressValue = (
    Annotated[str, StringConstraints(max_length=500)]
    | Annotated[int, Field(ge=-(10**15), le=10**15)]  # within a DynamoDB number
    | bool
    | None
)


class OrderLineRequest(Model):
    model_config = ConfigDict(extra="forbid")

    productId: str = Field(min_length=1, max_length=128)
    quantity: int = Field(ge=1, le=MAX_QUANTITY, strict=True)
    # Accepted and discarded, so a client that sends what it saw in the catalog is not refused,
    # and never trusted: the order is priced from the catalog table.
    unitPrice: Any = Field(default=None, exclude=True, description=IGNORED)
    price: Any = Field(default=None, exclude=True, description=IGNORED)
    name: Any = Field(default=None, exclude=True, description=IGNORED)


class PlaceOrderRequest(Model):
    """POST /orders body (with the `Idempotency-Key` header)."""

    model_config = ConfigDict(extra="forbid")

    items: list[OrderLineRequest] = Field(min_length=1, max_length=MAX_LINES)
    paymentMethodId: str = Field(pattern=r"^pm_[A-Za-z0-9_]+$", max_length=255)
    shippingAddress: (
        dict[Annotated[str, StringConstraints(min_length=1, max_length=64)], AddressValue] | None
    ) = Field(default=None, max_length=20)
    total: Any = Field(default=None, exclude=True, description=IGNORED)

    def canonical(self) -> dict[str, Any]:
        """What the order depends on (ignored fields left out): the idempotency fingerprint's input."""
        return self.model_dump(mode="json", exclude_none=True)


class OrderLine(Model):
    productId: str
    name: str
    quantity: int
    unitPrice: Money


class Order(Model):
    """An order as the API shows it."""

    orderId: str
    userId: str
    status: str = Field(description="PENDING, CONFIRMED, SHIPPED, REJECTED or CANCELLED")
    items: list[OrderLine]
    total: Money
    paymentMethodId: str
    shippingAddress: dict[str, Any] | None = None
    createdAt: str
    updatedAt: str


class OrderPage(Model):
    """GET /orders: the caller's orders, newest first; `nextCursor` is null on the last page."""

    items: list[Order]
    nextCursor: str | None = None
