"""Money as an integer count of the currency's smallest unit.

Amounts are never floats. The currencies' minor digits, the one rounding rule
(half-up) and the display format live here, so that every page and API agree to
the fen. Text typed by people is parsed by the bounded parsers in
app/catalog/numbers.py.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor-unit exponents for the currencies the portal trades in.
MINOR_DIGITS: dict[str, int] = {
    "CNY": 2, "USD": 2, "EUR": 2, "GBP": 2, "AUD": 2, "NZD": 2, "CAD": 2,
    "HKD": 2, "SGD": 2, "CHF": 2, "THB": 2, "MYR": 2,
    "JPY": 0, "KRW": 0,
}


class MoneyError(ValueError):
    """An amount or currency that cannot be represented."""


def minor_digits(currency: str) -> int:
    try:
        return MINOR_DIGITS[currency.upper()]
    except KeyError:
        raise MoneyError(f"unknown currency {currency!r}") from None


def round_half_up(value: Decimal) -> int:
    """Round a Decimal to the nearest integer, halves away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_major(minor: int, currency: str) -> Decimal:
    """Minor units as an exact Decimal in major units (1250 USD cents → 12.50)."""
    digits = minor_digits(currency)
    return Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


SYMBOLS = {"CNY": "¥", "USD": "US$", "EUR": "€", "GBP": "£", "JPY": "JP¥", "KRW": "₩",
           "AUD": "A$", "HKD": "HK$", "NZD": "NZ$", "CAD": "C$", "SGD": "S$"}


def format_money(minor: int, currency: str = "CNY") -> str:
    """Human form with thousands separators: ¥1,234.50, JP¥1,200."""
    digits = minor_digits(currency)
    major = to_major(minor, currency)
    sign = "-" if major < 0 else ""
    body = f"{abs(major):,.{digits}f}"
    return f"{sign}{SYMBOLS.get(currency, currency + ' ')}{body}"
