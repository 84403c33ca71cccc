"""Money as an integer count of the currency's smallest unit, and every rule about it.

Amounts are never floats. The one currency registry (with each currency's minor
digits and symbol), parsing what people type, conversion to and from major units and
to fen, the one rounding rule (half-up) and splitting an amount in proportion
(`allocate`, largest remainder) live here, so that every page, API, ledger posting and
statement agree to the fen.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from app.core import numbers


@dataclass(frozen=True)
class Currency:
    code: str
    digits: int       # ISO 4217 minor-unit exponent
    symbol: str


# The currencies the portal trades in, in the order forms offer them.
CURRENCIES: dict[str, Currency] = {c.code: c for c in [
    Currency("USD", 2, "US$"), Currency("EUR", 2, "€"), Currency("JPY", 0, "JP¥"), Currency("KRW", 0, "₩"),
    Currency("AUD", 2, "A$"), Currency("GBP", 2, "£"), Currency("HKD", 2, "HK$"), Currency("NZD", 2, "NZ$"),
    Currency("CAD", 2, "C$"), Currency("SGD", 2, "S$"), Currency("CHF", 2, "CHF "), Currency("THB", 2, "฿"),
    Currency("MYR", 2, "RM"), Currency("CNY", 2, "¥"),
]}
CODES: tuple[str, ...] = tuple(CURRENCIES)


class MoneyError(ValueError):
    """An amount or currency that cannot be represented."""


def currency(code: str) -> Currency:
    try:
        return CURRENCIES[code.upper()]
    except (KeyError, AttributeError):
        raise MoneyError(f"unknown currency {code!r}") from None


def minor_digits(code: str) -> int:
    return currency(code).digits


def round_half_up(value: Decimal) -> int:
    """Round a Decimal to the nearest integer, halves away from zero: the portal's one rule."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_major(minor: int, code: str) -> Decimal:
    """Minor units as an exact Decimal in major units (1250 USD cents → 12.50)."""
    digits = minor_digits(code)
    return Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def to_fen(minor: int | Decimal, code: str, fx_rate: Decimal) -> Decimal:
    """An amount in `code` (minor units) as exact, unrounded fen at `fx_rate` CNY per unit."""
    return Decimal(minor).scaleb(2 - minor_digits(code)) * Decimal(fx_rate)


@lru_cache(maxsize=4096)
def fen_converter(code: str, fx_rate: Decimal):
    """A function turning amounts in `code` (minor units) into whole fen at `fx_rate`,
    rounded half up: exact integer arithmetic, for converting many amounts at one rate
    (a price history) without a Decimal operation per amount."""
    numerator, denominator = (Decimal(fx_rate).scaleb(2 - minor_digits(code))).as_integer_ratio()

    def convert(minor: int) -> int:
        twice = 2 * minor * numerator
        # half away from zero, as round_half_up
        q = (abs(twice) + denominator) // (2 * denominator)
        return q if twice >= 0 else -q

    return convert


def parse(raw: object, code: str, hi: int = numbers.MAX_MINOR) -> int:
    """A major-unit amount as people type it ("12.50") as minor units of `code`, 0 to `hi`.

    Raises numbers.NumberError (with a message id the page translates) for anything else.
    """
    try:
        digits = minor_digits(code)
    except MoneyError:
        raise numbers.NumberError(numbers.N_("Unknown currency.")) from None
    value = numbers.parse_decimal(raw)
    if numbers.decimal_places(value) > digits:
        if digits == 0:
            raise numbers.NumberError(numbers.NO_PLACES, currency=code)
        raise numbers.NumberError(numbers.PLACES, n=digits)
    minor = int(value.scaleb(digits))
    if minor > hi:
        raise numbers.NumberError(numbers.AT_MOST, max=numbers.grouped(to_major(hi, code).quantize(Decimal(1))))
    return minor


def format_money(minor: int, code: str = "CNY") -> str:
    """Human form with thousands separators: ¥1,234.50, JP¥1,200."""
    c = currency(code)
    major = to_major(minor, code)
    sign = "-" if major < 0 else ""
    return f"{sign}{c.symbol}{abs(major):,.{c.digits}f}"


FX_SHOWN = 4   # digits people read in a rate; the stored rate keeps its 8 places


def format_fx(rate: Decimal) -> str:
    """An FX rate as people read it: 4 decimal places (7.12345678 → 7.1235), or 4
    significant digits for a rate below 0.1 (KRW 0.00523456 → 0.005235), half up."""
    value = Decimal(rate)
    if value.is_zero() or abs(value) >= Decimal("0.1"):
        exponent = -FX_SHOWN
    else:
        exponent = value.adjusted() - FX_SHOWN + 1
    return f"{value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP):f}"


def round_to_total(parts: Sequence[Decimal], total: int) -> list[int]:
    """Round exact `parts` to integers that add up to `total` (largest remainder).

    Each part is rounded down, then the units still missing go to the parts with the
    largest fractions (the earlier part on a tie): the lines of a breakdown shown in
    fen add up to its rounded total, each as close to its exact value as the sum allows.
    `total` must lie between the sum of the parts rounded down and rounded up.
    """
    floors = [int(Decimal(p).to_integral_value(rounding=ROUND_FLOOR)) for p in parts]
    missing = total - sum(floors)
    if not 0 <= missing <= len(parts):
        raise MoneyError(f"{total} is not a rounding of parts that add up to {sum(Decimal(p) for p in parts)}")
    order = sorted(range(len(parts)), key=lambda i: (-(Decimal(parts[i]) - floors[i]), i))
    for i in order[:missing]:
        floors[i] += 1
    return floors


def allocate(total: int, weights: Sequence[int | Decimal]) -> list[int]:
    """Split the integer `total` in proportion to `weights` so that the parts add up exactly.

    Largest remainder over the exact shares (`round_to_total`): a part whose exact share
    is whole gets exactly that; a zero weight gets nothing. A negative total (a reversal)
    is split as the mirror of the positive one, so a refund reverses the same shares.
    Weights must not be negative and must not all be zero (unless the total is zero).
    """
    if total < 0:
        return [-p for p in allocate(-total, weights)]
    exact = [Decimal(w) for w in weights]
    if any(w < 0 for w in exact):
        raise MoneyError("weights must not be negative")
    whole = sum(exact)
    if whole == 0:
        if total == 0:
            return [0] * len(exact)
        raise MoneyError("cannot split an amount over weights that are all zero")
    return round_to_total([Decimal(total) * w / whole for w in exact], total)
