"""Money: ISO 4217 currencies and what an `amount` means in each.

An amount is always an integer number of the currency's *minor unit*, the ISO 4217 unit of
10^-exponent of the major unit: `{"amount": 1999, "currency": "EUR"}` is 19.99 EUR (exponent 2),
`{"amount": 500, "currency": "JPY"}` is 500 yen (exponent 0: JPY has no minor unit), and
`{"amount": 1500, "currency": "KWD"}` is 1.500 dinar (exponent 3: fils). Adding amounts is exact
integer arithmetic; only people see decimals (`format_major`), and a payment provider whose unit
differs from ISO's converts at its own edge (payments.stripe_gateway).

`CURRENCIES` is ISO 4217 List One as amended through 2025 (amendments up to no. 179: XCG replaces
ANG, ZWG replaces ZWL, SLE replaces SLL, VED beside VES): every code that is currently assigned
*and* has a minor unit. Codes ISO lists with minor unit "N.A." — precious metals (XAU, XAG, XPD,
XPT), SDRs and bond units (XDR, XBA-XBD, XSU, XUA), the testing code XTS and "no currency" XXX —
cannot price anything and are not accepted; neither are unassigned codes (`XXY`) or withdrawn ones
(`HRK`, `ANG`). Pure Python, no imports: domain code uses it.
"""

from __future__ import annotations

_BY_EXPONENT: dict[int, str] = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    2: (
        "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD "
        "CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL "
        "GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR "
        "LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD "
        "PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC "
        "SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW "
        "ZWG"
    ),
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}

#: ISO 4217 code → minor-unit exponent, for every currency a price may be given in.
CURRENCIES: dict[str, int] = {
    code: exponent for exponent, codes in _BY_EXPONENT.items() for code in codes.split()
}


class UnknownCurrency(ValueError):
    def __init__(self, code: object) -> None:
        super().__init__(f"{code!r} is not an ISO 4217 currency code in use")


def is_currency(code: object) -> bool:
    return isinstance(code, str) and code in CURRENCIES


def exponent(code: str) -> int:
    """The minor-unit exponent of `code` (JPY 0, EUR 2, KWD 3); `UnknownCurrency` otherwise."""
    try:
        return CURRENCIES[code]
    except (KeyError, TypeError):
        raise UnknownCurrency(code) from None


def check_currency(code: str) -> str:
    """`code` itself when it is a currency in use (a pydantic after-validator); else `UnknownCurrency`."""
    exponent(code)
    return code


def format_major(amount: int, currency: str) -> str:
    """`amount` minor units for people: `1999 EUR` → "19.99 EUR", `500 JPY` → "500 JPY",
    `1500 KWD` → "1.500 KWD"."""
    places = exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**places)
    return f"{sign}{whole}.{fraction:0{places}d} {currency}" if places else f"{sign}{whole} {currency}"
