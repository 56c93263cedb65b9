"""Order rules without AWS: pricing, fingerprints, keys, visibility and the state machine."""

from __future__ import annotations

import pytest
from orders import domain
from orders.domain import CANCELLED, CONFIRMED, PENDING, REJECTED, SHIPPED, Outcome, decide

from commerce.errors import Conflict, Rejected

CATALOG = {
    "cup": {"name": "Cup", "price": {"amount": 1250, "currency": "EUR"}},
    "pot": {"name": "Pot", "price": {"amount": 4000, "currency": "EUR"}},
    "mug": {"name": "Mug", "price": {"amount": 900, "currency": "USD"}},
}


def test_lines_are_priced_from_the_catalog_and_totalled() -> None:
    items, total = domain.price_lines(
        [{"productId": "cup", "quantity": 3}, {"productId": "pot", "quantity": 1}], CATALOG
    )
    assert items[0] == {
        "productId": "cup",
        "name": "Cup",
        "quantity": 3,
        "unitPrice": {"amount": 1250, "currency": "EUR"},
    }
    assert total == {"amount": 7750, "currency": "EUR"}


@pytest.mark.parametrize(
    "lines",
    [
        [{"productId": "ghost", "quantity": 1}],
        [{"productId": "cup", "quantity": 1}, {"productId": "mug", "quantity": 1}],
        [{"productId": "cup", "quantity": 1}, {"productId": "cup", "quantity": 2}],
    ],
)
def test_unknown_mixed_currency_and_duplicate_lines_are_unprocessable(lines: list[dict[str, object]]) -> None:
    with pytest.raises(Rejected):
        domain.price_lines(lines, CATALOG)


def test_fingerprint_ignores_key_order_but_not_values() -> None:
    a = domain.fingerprint({"items": [{"productId": "p", "quantity": 1}], "paymentMethodId": "pm_x"})
    b = domain.fingerprint({"paymentMethodId": "pm_x", "items": [{"quantity": 1, "productId": "p"}]})
    c = domain.fingerprint({"paymentMethodId": "pm_x", "items": [{"quantity": 2, "productId": "p"}]})
    assert a == b
    assert a != c


@pytest.mark.parametrize(("key", "valid"), [("k", True), ("x" * 128, True), ("x" * 129, False), ("", False),
                                           (None, False), ("a\nb", False), (" padded ", False)])  # fmt: skip
def test_idempotency_key_rules(key: str | None, valid: bool) -> None:
    assert domain.valid_idempotency_key(key) is valid


@pytest.mark.parametrize(
    ("current", "target", "outcome"),
    [
        (PENDING, CONFIRMED, Outcome.APPLY),
        (PENDING, REJECTED, Outcome.APPLY),
        (PENDING, CANCELLED, Outcome.APPLY),
        (CONFIRMED, SHIPPED, Outcome.APPLY),
        (CONFIRMED, CANCELLED, Outcome.APPLY),
        (CONFIRMED, CONFIRMED, Outcome.ALREADY),
        (PENDING, SHIPPED, Outcome.NOT_ALLOWED),
        (SHIPPED, CANCELLED, Outcome.NOT_ALLOWED),
        (REJECTED, CANCELLED, Outcome.NOT_ALLOWED),
        (CANCELLED, CONFIRMED, Outcome.NOT_ALLOWED),
        (REJECTED, CONFIRMED, Outcome.NOT_ALLOWED),
    ],
)
def test_state_machine(current: str, target: str, outcome: Outcome) -> None:
    assert decide(current, target) is outcome


def test_caller_can_narrow_allowed_from() -> None:
    assert decide(CONFIRMED, CANCELLED, frozenset({PENDING})) is Outcome.NOT_ALLOWED


def test_only_owner_or_admin_sees_an_order() -> None:
    order = {"userId": "u-1"}
    assert domain.visible_to(order, "u-1", False)
    assert domain.visible_to(order, "admin", True)
    assert not domain.visible_to(order, "u-2", False)


def test_cancellable_only_before_shipping() -> None:
    for status in (PENDING, CONFIRMED):
        domain.check_cancellable({"status": status})
    for status in (SHIPPED, REJECTED, CANCELLED):
        with pytest.raises(Conflict):
            domain.check_cancellable({"status": status})
