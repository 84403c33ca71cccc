"""Money as an integer count of the currency's smallest unit.

Amounts are never floats. Conversions between a decimal major-unit amount
("12.50 USD") and minor units happen here, and so does the one rounding rule
(half-up), so that every page and API agree to the fen.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

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


def to_minor(amount: str | Decimal | int, currency: str) -> int:
    """Parse a major-unit amount ("12.50") into minor units, refusing sub-unit digits."""
    digits = minor_digits(currency)
    try:
        value = Decimal(str(amount).strip())
    except (InvalidOperation, ValueError):
        raise MoneyError(f"not a number: {amount!r}") from None
    if not value.is_finite():
        raise MoneyError(f"not a number: {amount!r}")
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{amount} has more than {digits} decimal places for {currency}")
    return int(scaled)


def to_major(minor: int, currency: str) -> Decimal:
    """Minor units as an exact Decimal in major units (1250 USD cents → 12.50)."""
    digits = minor_digits(currency)
    return Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise MoneyError("money must be an integer count of minor units")
        minor_digits(self.currency)

    @property
    def major(self) -> Decimal:
        return to_major(self.minor, self.currency)

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise MoneyError(f"cannot mix {self.currency} and {other.currency}")

    def __str__(self) -> str:
        return format_money(self.minor, self.currency)


SYMBOLS = {"CNY": "¥", "USD": "US$", "EUR": "€", "GBP": "£", "JPY": "JP¥", "KRW": "₩",
           "AUD": "A$", "HKD": "HK$", "NZD": "NZ$", "CAD": "C$", "SGD": "S$"}


def format_money(minor: int, currency: str = "CNY") -> str:
    """Human form with thousands separators: ¥1,234.50, JP¥1,200."""
    digits = minor_digits(currency)
    major = to_major(minor, currency)
    sign = "-" if major < 0 else ""
    body = f"{abs(major):,.{digits}f}"
    return f"{sign}{SYMBOLS.get(currency, currency + ' ')}{body}"
