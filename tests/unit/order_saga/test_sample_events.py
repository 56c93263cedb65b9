"""Every saga consumer's sample event (events/) is a valid delivery of what that consumer accepts."""

from __future__ import annotations

import json

import pytest

from commerce.consumer import InvalidEvent, parse
from commerce.events import EVENTS
from tests.conftest import load_event

SAMPLES = [
    "inventory.reserve_stock.json",
    "inventory.release_stock.json",
    "inventory.replenish_stock.json",
    "payments.record_order.json",
    "payments.charge_order.json",
    "payments.refund_order.json",
    "notifications.keep_contacts.json",
    "notifications.email_order_update.json",
    "orders.advance_order.json",
    "orders.on_shipment_dispatched.json",
]


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_event_parses_into_its_event_model(name: str) -> None:
    [record] = load_event(name)["Records"]
    delivery = parse(record["body"])
    assert isinstance(delivery.data, EVENTS[delivery.name][1])
    assert delivery.correlation_id


def test_warehouse_event_missing_a_field_is_invalid_and_says_which() -> None:
    body = json.loads(load_event("orders.on_shipment_dispatched.json")["Records"][0]["body"])
    del body["detail"]["data"]["trackingNumber"]
    with pytest.raises(InvalidEvent, match=r"ShipmentDispatched does not fit its schema: trackingNumber"):
        parse(json.dumps(body))


def test_event_from_the_wrong_source_is_invalid() -> None:
    body = json.loads(load_event("inventory.replenish_stock.json")["Records"][0]["body"])
    body["source"] = "somebody.else"
    with pytest.raises(InvalidEvent, match="unexpected source"):
        parse(json.dumps(body))
