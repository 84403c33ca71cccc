"""Read the landed-cost calculator's inputs (page or JSON API) and cost them.

Both the page and `GET /api/v1/landed-cost` go through `parse` and `calculate`, so
they accept and refuse exactly the same input.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Mapping

from flask_babel import gettext as _

from app.catalog import queries
from app.catalog.landed_cost import LandedCost, LandedCostError, Regime, TaxRates, compute
from app.core import money, numbers
from app.core.errors import DomainError
from app.extensions import limiter

MAX_QUANTITY = 1_000_000


class InputError(DomainError):
    """One bad input: `field` is the parameter name, `message` says what is wrong in the user's language."""

    status = 400

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field)


@dataclass(frozen=True)
class CalcInput:
    currency: str
    unit_price_minor: int
    quantity: int
    shipping_minor: int
    insurance_minor: int
    fx_rate: Decimal
    fx_day: date | None          # None when the caller gave the rate
    rates: TaxRates
    category_code: str | None
    regime: Regime
    ytd_fen: int


def _decimal(args: Mapping[str, str], name: str, default: str | None = None) -> Decimal:
    """A plain ASCII decimal of 0 or more (numbers.parse_decimal): no exponent, NaN or "²"."""
    raw = (args.get(name) or "").strip()
    if not raw:
        if default is None:
            raise InputError(name, _("This field is required."))
        raw = default
    try:
        return numbers.parse_decimal(raw)
    except numbers.NumberError as e:
        if e.msgid == numbers.NEGATIVE:
            raise InputError(name, _("Must not be negative.")) from None
        raise InputError(name, _("Enter a number.")) from None


def _amount(args: Mapping[str, str], name: str, currency: str, default: str | None = None) -> int:
    """An amount in `currency` as minor units, 0 to numbers.MAX_MINOR (the ops forms' limit too)."""
    raw = (args.get(name) or "").strip() or default
    if raw is None:
        raise InputError(name, _("This field is required."))
    try:
        return money.parse(raw, currency)
    except numbers.NumberError as e:
        if e.msgid == numbers.NEGATIVE:
            raise InputError(name, _("Must not be negative.")) from None
        if e.msgid in (numbers.PLACES, numbers.NO_PLACES, numbers.AT_MOST):
            raise InputError(name, e.message()) from None
        raise InputError(name, _("Enter a number.")) from None


def _rate(args: Mapping[str, str], name: str, default: str) -> Decimal:
    """A tax rate through the same bounded parser as the operations forms (below 1, 4 places)."""
    try:
        return numbers.parse_rate((args.get(name) or "").strip() or default)
    except numbers.NumberError as e:
        raise InputError(name, e.message()) from None


# (rate, the page's percentage field, the API's fraction field, default fraction)
RATE_FIELDS = (("vat", "vat_pct", "vat_rate", "0.13"),
               ("consumption", "consumption_tax_pct", "consumption_tax_rate", "0"),
               ("tariff", "tariff_pct", "tariff_rate", "0"))


def _rates(args: Mapping[str, str]) -> TaxRates:
    """Rates typed as percentages on the page (vat_pct=13), or as fractions in the API
    (vat_rate=0.13): people type what the pages show, machines keep their format."""
    rates = {}
    for key, pct, fraction, default in RATE_FIELDS:
        raw = (args.get(pct) or "").strip()
        if raw:
            try:
                rates[key] = numbers.parse_percent(raw)
            except numbers.NumberError as e:
                raise InputError(pct, e.message()) from None
        else:
            rates[key] = _rate(args, fraction, default)
    return TaxRates(**rates)


def parse(args: Mapping[str, str], today: date) -> CalcInput:
    """Validate the calculator's parameters; raises InputError naming the first bad one."""
    currency = (args.get("currency") or "").strip().upper()
    if not currency:
        raise InputError("currency", _("This field is required."))
    if currency not in money.CURRENCIES:
        raise InputError("currency", _("Unknown currency."))
    unit_price = _amount(args, "unit_price", currency)
    raw_q = (args.get("quantity") or "").strip()
    if not raw_q:
        raise InputError("quantity", _("This field is required."))
    try:
        quantity = numbers.parse_int(raw_q, 1, MAX_QUANTITY)
    except numbers.NumberError as e:
        if e.msgid == numbers.RANGE and raw_q.isascii() and raw_q.isdigit() and raw_q.strip("0"):
            raise InputError("quantity", _("Enter at most %(n)d.", n=MAX_QUANTITY)) from None
        raise InputError("quantity", _("Enter a whole number of at least 1.")) from None
    shipping = _amount(args, "shipping", currency, "0")
    insurance = _amount(args, "insurance", currency, "0")
    regime_raw = (args.get("regime") or "retail").strip()
    try:
        regime = Regime(regime_raw)
    except ValueError:
        raise InputError("regime", _("Choose retail or general.")) from None
    ytd_fen = _amount(args, "ytd_cny", "CNY", "0")

    code = (args.get("category") or "").strip()
    if code:
        category = queries.tax_category_by_code(code)
        if category is None:
            raise InputError("category", _("Unknown tax category."))
        rates = category.rates
    else:
        rates = _rates(args)

    fx_day = None
    if (args.get("fx_rate") or "").strip():
        try:
            fx = numbers.parse_fx(args.get("fx_rate"))
        except numbers.NumberError as e:
            raise InputError("fx_rate", e.message()) from None
    elif currency == "CNY":
        fx = Decimal(1)
    else:
        stored = queries.fx_in_force(currency, today)
        if stored is None:
            raise InputError("fx_rate", _("No stored rate for %(currency)s; enter one.", currency=currency))
        fx, fx_day = Decimal(format(Decimal(stored.rate).normalize(), "f")), stored.day
    return CalcInput(currency, unit_price, quantity, shipping, insurance, fx, fx_day, rates,
                     code or None, regime, ytd_fen)


def calculate(c: CalcInput) -> LandedCost:
    try:
        return compute(currency=c.currency, unit_price_minor=c.unit_price_minor, quantity=c.quantity,
                       fx_rate=c.fx_rate, rates=c.rates, regime=c.regime, shipping_minor=c.shipping_minor,
                       insurance_minor=c.insurance_minor, ytd_fen=c.ytd_fen)
    except LandedCostError as e:  # parse() checks the inputs one by one; this is their sum
        raise InputError(e.field, _cost_error(e)) from None


def _cost_error(e: LandedCostError) -> str:
    if e.message == "the order's value is too large":
        return _("The order's value is too large to cost (at most %(max)s dutiable).", max="¥100,000,000,000")
    if e.message == "the taxes are too large":
        return _("The taxes at this rate are too large to cost; check the rate.")
    return _("This value cannot be costed.")


DEFAULTS = {"unit_price": "", "currency": "USD", "quantity": "1", "shipping": "0", "insurance": "0",
            "fx_rate": "", "regime": "retail", "category": "", "vat_pct": "13",
            "consumption_tax_pct": "0", "tariff_pct": "0", "ytd_cny": "0"}


def form_values(args: Mapping[str, str], categories: list) -> dict[str, str]:
    """What the calculator's fields show: the defaults, what was typed, and, when a tax
    category is chosen, the rates it applies in place of any typed ones."""
    values = {**DEFAULTS, **args}
    chosen = next((c for c in categories if c.code == values["category"]), None)
    if chosen is not None:
        for key, pct, _fraction, _default in RATE_FIELDS:
            values[pct] = numbers.format_percent(getattr(chosen.rates, key))
    return values


def api_limit() -> str:
    """Requests per client address for the public calculator API (setting CATALOG_API_LIMIT)."""
    from flask import current_app

    return current_app.config.get("CATALOG_API_LIMIT", "60 per minute")


# The page and the JSON API answer the same question, so they draw on one budget per
# client address (setting CATALOG_API_LIMIT): the page is no way around the API's limit.
shared_limit = limiter.shared_limit(api_limit, scope="catalog-landed-cost")
