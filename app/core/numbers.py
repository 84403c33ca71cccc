"""Numbers typed by people (query strings, forms, CSV cells): one set of parsers and limits.

Every entry point (the landed-cost API and page, the comparison and search pages, the
APIs, the operations forms, the CSV importer; amounts through `app.core.money.parse`)
reads numbers through these functions, so that they accept and refuse exactly the same
text:

* ASCII digits only. ``"²".isdigit()`` is true and ``int("٣")`` is 3; neither is a
  number a buyer or a price list means, so both are refused.
* No exponents, NaN or infinity ("1e30", "1e999999999"): plain decimals only, so no
  Decimal ever overflows.
* Bounded: money at most 10^12 minor units, whole numbers at most 2^31 − 1 (the
  database's integer columns), lead times at most 365 days, rates below 1 with at most
  4 decimal places (typed as percentages below 100 with at most 2), FX rates at most 8.

Errors are `NumberError`s carrying an English message id and its values, translated
when shown (`message()`), or stored untranslated for the import report (`reason`).
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any


MAX_MINOR = 10 ** 12            # any amount, in the currency's minor units
MAX_INT = 2 ** 31 - 1           # stock, MOQ, increments: PostgreSQL integer
MAX_LEAD_DAYS = 365
RATE_PLACES = 4                 # VAT, consumption tax, tariff, insurance, on-time rates
FX_PLACES = 8
MAX_FX = Decimal(100_000)
MAX_TEXT = 64                   # longer text is not a number anyone typed

_INT = re.compile(r"[0-9]+")
_DEC = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def N_(msgid: str) -> str:
    """Mark a message for extraction; it is translated when shown."""
    return msgid


WHOLE = N_("Enter a whole number using the digits 0 to 9.")
NUMBER = N_("Enter a number such as 12.50, using the digits 0 to 9.")
NEGATIVE = N_("Must not be negative.")
RANGE = N_("Enter a whole number from %(lo)s to %(hi)s.")
AT_MOST = N_("Enter at most %(max)s.")
PLACES = N_("Use at most %(n)s decimal places.")
NO_PLACES = N_("%(currency)s has no decimal places.")
RATE = N_("Enter a rate from 0 to below 1, such as 0.13.")
PERCENT = N_("Enter a percentage from 0 to below 100, such as 13.")
SHARE = N_("Enter a percentage from 0 to 100, such as 95.")
FX = N_("Enter a rate above 0.")


class NumberError(ValueError):
    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid % params if params else msgid)
        self.msgid, self.params = msgid, params

    @property
    def reason(self) -> tuple[str, dict[str, Any]]:
        return self.msgid, self.params

    def message(self) -> str:
        from flask_babel import gettext

        return gettext(self.msgid, **self.params)


def _text(raw: object) -> str:
    return str(raw if raw is not None else "").strip()


def grouped(n: int | Decimal) -> str:
    return f"{n:,}"


def parse_int(raw: object, lo: int = 0, hi: int = MAX_INT) -> int:
    """A whole number from lo to hi written with ASCII digits."""
    text = _text(raw)
    if text.startswith("-") and _INT.fullmatch(text[1:]) and len(text) <= MAX_TEXT:
        raise NumberError(RANGE, lo=grouped(lo), hi=grouped(hi))
    if len(text) > MAX_TEXT or not _INT.fullmatch(text):
        raise NumberError(WHOLE)
    value = int(text)
    if not lo <= value <= hi:
        raise NumberError(RANGE, lo=grouped(lo), hi=grouped(hi))
    return value


def decimal_places(value: Decimal) -> int:
    """How many decimal places `value` really has (12.50 has 1, 12.5 has 1, 12 has 0)."""
    exponent = value.normalize().as_tuple().exponent
    return max(-exponent, 0) if isinstance(exponent, int) else 0


def parse_decimal(raw: object, places: int | None = None, hi: Decimal | None = None,
                  negative: bool = False) -> Decimal:
    """A plain decimal ("12.50") with ASCII digits, no exponent; ≥ 0 unless `negative`."""
    text = _text(raw)
    if len(text) > MAX_TEXT or not _DEC.fullmatch(text):
        raise NumberError(NUMBER)
    value = Decimal(text)
    if value < 0 and not negative:
        raise NumberError(NEGATIVE)
    if places is not None and decimal_places(value) > places:
        raise NumberError(PLACES, n=places)
    if hi is not None and value > hi:
        raise NumberError(AT_MOST, max=grouped(hi))
    return value


def parse_rate(raw: object, places: int = RATE_PLACES) -> Decimal:
    """A rate as a fraction from 0 to below 1 (0.13 for 13 %), at most `places` decimals."""
    try:
        value = parse_decimal(raw)
    except NumberError as e:
        raise NumberError(RATE) if e.msgid == NUMBER else e from None
    if value >= 1:
        raise NumberError(RATE)
    if decimal_places(value) > places:
        raise NumberError(PLACES, n=places)
    return value


def parse_percent(raw: object, places: int = RATE_PLACES - 2, whole: bool = False) -> Decimal:
    """A rate typed as a percentage ("13", "2.5"), returned as the fraction (0.13, 0.025).

    People type rates the way the pages show them. `places` bounds the percentage, so
    the fraction has at most RATE_PLACES decimals, as stored; `whole` admits 100 % (an
    on-time rate), which no tax rate may be.
    """
    message = SHARE if whole else PERCENT
    try:
        value = parse_decimal(raw)
    except NumberError as e:
        raise NumberError(message) if e.msgid == NUMBER else e from None
    if value > 100 or (value == 100 and not whole):
        raise NumberError(message)
    if decimal_places(value) > places:
        raise NumberError(PLACES, n=places)
    return value.scaleb(-2)


def format_percent(rate: Decimal) -> str:
    """A fraction as the percentage people type and read: 0.1300 → "13", 0.0035 → "0.35"."""
    value = (Decimal(rate) * 100).normalize()
    return f"{value:f}"


def parse_fx(raw: object, places: int = FX_PLACES) -> Decimal:
    """CNY per unit of a currency: above 0, at most 100,000, at most `places` decimals."""
    try:
        value = parse_decimal(raw)
    except NumberError:
        raise NumberError(FX) from None
    if value <= 0:
        raise NumberError(FX)
    if value > MAX_FX:
        raise NumberError(AT_MOST, max=grouped(MAX_FX))
    if decimal_places(value) > places:
        raise NumberError(PLACES, n=places)
    return value
