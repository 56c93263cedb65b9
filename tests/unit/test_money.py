"""commerce.money: ISO 4217 codes in use, each with its own minor unit, and what an amount means."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from commerce.events import Money
from commerce.money import CURRENCIES, UnknownCurrency, exponent, format_major


def test_minor_units_follow_iso_4217() -> None:
    assert {code: exponent(code) for code in ("JPY", "KRW", "EUR", "USD", "KWD", "BHD", "TND", "CLF")} == {
        "JPY": 0, "KRW": 0, "EUR": 2, "USD": 2, "KWD": 3, "BHD": 3, "TND": 3, "CLF": 4,
    }  # fmt: skip


@pytest.mark.parametrize("code", ["XXY", "XTS", "XXX", "XAU", "XDR", "HRK", "ANG", "usd", "US", "", "EURO"])
def test_unassigned_withdrawn_and_non_monetary_codes_are_refused(code: str) -> None:
    with pytest.raises(UnknownCurrency):
        exponent(code)
    with pytest.raises(ValidationError):
        Money(amount=1, currency=code)


def test_the_table_is_a_plausible_list_one() -> None:
    assert 150 <= len(CURRENCIES) <= 190
    assert all(len(code) == 3 and code.isupper() and code.isalpha() for code in CURRENCIES)


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [(1999, "EUR", "19.99 EUR"), (5, "USD", "0.05 USD"), (500, "JPY", "500 JPY"), (1500, "KWD", "1.500 KWD")],
)
def test_format_major_uses_the_currencys_decimals(amount: int, currency: str, text: str) -> None:
    assert format_major(amount, currency) == text


@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(sorted(CURRENCIES)))
def test_formatting_is_exact_in_every_currency(amount: int, currency: str) -> None:
    number, code = format_major(amount, currency).split(" ")
    assert code == currency
    assert Decimal(number).scaleb(exponent(currency)) == amount
    assert Money(amount=amount, currency=currency).currency == currency


def test_notification_totals_use_the_currencys_decimals() -> None:
    from notifications.domain import format_money

    assert format_money(500, "JPY") == "500 JPY"  # was "5.00 JPY"
    assert format_money(1500, "KWD") == "1.500 KWD"
