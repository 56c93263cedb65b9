"""Pydantic models of the catalog's HTTP API: the request bodies and the product representation."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from commerce.events import AMOUNT_DESCRIPTION, Currency, Money
from commerce.model import Model
from commerce.stock import MAX_SHARDS

MAX_AMOUNT = 1_000_000_000
MAX_STOCK = 1_000_000


class Price(Money):
    """A price in the minor units of an ISO 4217 currency in use (commerce.money)."""

    amount: int = Field(ge=0, le=MAX_AMOUNT, strict=True, description=AMOUNT_DESCRIPTION)
    currency: Currency


class NewProduct(Model):
    """POST /products body."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    price: Price
    stock: int = Field(ge=0, le=MAX_STOCK, strict=True)


class ProductChanges(Model):
    """PATCH /products/{productId} body: any subset of the fields."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    price: Price | None = None
    stock: int | None = Field(default=None, ge=0, le=MAX_STOCK, strict=True)
    stockShards: int | None = Field(
        default=None,
        ge=1,
        le=MAX_SHARDS,
        strict=True,
        description=(
            "Admin, for a hot product: how many shard items hold its stock (1 = none, the default). "
            "Each shard takes its own share of the reservations, so a product sold at thousands of "
            "orders a second needs ~1 shard per 500 reservations a second (docs/capacity.md). "
            "More shards move the units while the product sells; fewer shards, or `stock` with "
            "shards, answer 409 if the stock keeps moving (retry, or shrink after the sale). "
            "`stock` stays the product's total in every response. The reserve consumer also doubles "
            "a product's shards by itself (up to 16) when DynamoDB throttles its writes."
        ),
    )


class Product(Model):
    """A product as the API shows it."""

    productId: str
    name: str
    description: str
    price: Price
    stock: int
    createdAt: str
    updatedAt: str


class ProductPage(Model):
    """GET /products: one page of products, oldest first; `nextCursor` is null on the last page."""

    items: list[Product]
    nextCursor: str | None = None
