"""Landed cost of an offer in China: goods, freight, insurance, FX and import taxes.

Pure functions over Decimals, integer fen out. Nothing here touches the database or
the request, so the calculator page, the JSON API, the comparison and the bench all
agree to the fen.

Rules (财关税〔2018〕49号 for cross-border retail import):

* D, the dutiable value, is goods + shipping + insurance converted to CNY at the rate
  in force. It is kept exact; nothing is rounded before the taxes are known.
* ``general`` trade: tariff = D × t; consumption tax = (D + tariff) / (1 − c) × c
  (the composite assessable price); VAT = (D + tariff + consumption tax) × v.
* ``retail`` within both limits (this order's D ≤ 5,000 CNY, and the consignee's
  year-to-date total plus D ≤ 26,000 CNY): tariff 0, and consumption tax and VAT are
  computed as above with tariff 0, then each charged at 70 %.
* ``retail`` over a limit: the general-trade taxes in full, and the result says so.
* Each payable tax is rounded half-up to the fen once, at the end.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from enum import Enum

from app.core.money import MoneyError, minor_digits, round_half_up, round_to_total, to_fen

ZERO = Decimal(0)
ONE = Decimal(1)

RETAIL_TRANSACTION_LIMIT_FEN = 500_000     # 5,000 CNY per order
RETAIL_ANNUAL_LIMIT_FEN = 2_600_000        # 26,000 CNY per person per year
RETAIL_TAX_SHARE = Decimal("0.7")          # consumption tax and VAT charged at 70 %
MAX_AMOUNT_MINOR = 10 ** 12                # any input amount (numbers.MAX_MINOR)
MAX_DUTIABLE_FEN = 10 ** 13                # 100 billion yuan: beyond any real order
MAX_LANDED_FEN = 2 ** 53 - 1               # exact as a JSON number in every client
PRECISION = 60                             # digits: enough for every bounded input exactly


class Regime(str, Enum):
    RETAIL = "retail"     # 跨境电商零售进口
    GENERAL = "general"   # 一般贸易


class LandedCostError(ValueError):
    """Input that cannot be costed; `field` names the offending input."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True, slots=True)
class TaxRates:
    """Rates as fractions: VAT 0.13, consumption tax 0.15, general-trade tariff 0.05."""

    vat: Decimal
    consumption: Decimal = ZERO
    tariff: Decimal = ZERO

    def __post_init__(self) -> None:
        for name in ("vat", "consumption", "tariff"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite():
                raise LandedCostError(f"{name}_rate", "must be a decimal number")
            if value < 0 or value >= 1:
                raise LandedCostError(f"{name}_rate", "must be at least 0 and below 1")


@dataclass(frozen=True, slots=True)
class PriceTier:
    """From `min_quantity` units on, each unit costs `unit_minor`."""

    min_quantity: int
    unit_minor: int


@dataclass(frozen=True, slots=True)
class ShippingRule:
    """Freight for a whole order in the supplier's currency (minor units).

    `base_minor` per order plus `per_unit_minor` per unit; free when the goods
    reach `free_over_minor` (when set).
    """

    base_minor: int = 0
    per_unit_minor: int = 0
    free_over_minor: int | None = None

    def cost(self, quantity: int, goods_minor: int) -> int:
        if self.free_over_minor is not None and goods_minor >= self.free_over_minor:
            return 0
        return self.base_minor + self.per_unit_minor * quantity


@dataclass(frozen=True, slots=True)
class Note:
    """Something the buyer should know about the result; `code` is stable, `values` fill the text."""

    code: str
    values: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LandedCost:
    currency: str
    quantity: int
    unit_price_minor: int          # the tier price paid per unit, supplier currency
    goods_minor: int               # supplier currency
    shipping_minor: int
    insurance_minor: int
    fx_rate: Decimal               # CNY per unit of `currency`
    goods_fen: int
    shipping_fen: int
    insurance_fen: int
    dutiable_fen: int
    tariff_fen: int
    consumption_tax_fen: int
    vat_fen: int
    tax_fen: int
    landed_fen: int
    unit_landed_fen: int
    regime_requested: Regime
    regime_applied: Regime
    within_limits: bool
    notes: tuple[Note, ...]
    rates: TaxRates                # as given; the regime applied says which of them were charged

    def as_dict(self) -> dict:
        """The integer and flag fields of the public API, without notes."""
        return {
            "currency": self.currency,
            "quantity": self.quantity,
            "unit_price_minor": self.unit_price_minor,
            "fx_rate": str(self.fx_rate),
            "goods_fen": self.goods_fen,
            "shipping_fen": self.shipping_fen,
            "insurance_fen": self.insurance_fen,
            "dutiable_fen": self.dutiable_fen,
            "tariff_fen": self.tariff_fen,
            "consumption_tax_fen": self.consumption_tax_fen,
            "vat_fen": self.vat_fen,
            "tax_fen": self.tax_fen,
            "landed_fen": self.landed_fen,
            "unit_landed_fen": self.unit_landed_fen,
            "regime_applied": self.regime_applied.value,
            "within_limits": self.within_limits,
        }


def unit_price_for(quantity: int, base_unit_minor: int, tiers: tuple[PriceTier, ...] | list[PriceTier] = ()) -> int:
    """The unit price at `quantity`: the tier with the highest threshold reached, else the base price."""
    price, reached = base_unit_minor, 0
    for tier in tiers:
        if tier.min_quantity <= quantity and tier.min_quantity >= reached:
            price, reached = tier.unit_minor, tier.min_quantity
    return price


def compute(
    *,
    currency: str,
    unit_price_minor: int,
    quantity: int,
    fx_rate: Decimal,
    rates: TaxRates,
    regime: Regime | str,
    shipping_minor: int = 0,
    insurance_minor: int = 0,
    tiers: tuple[PriceTier, ...] | list[PriceTier] = (),
    ytd_fen: int = 0,
    limits: bool = True,
) -> LandedCost:
    """Cost `quantity` units landed in China; raises LandedCostError naming the bad input.

    `unit_price_minor` is the base unit price and `tiers` the quantity breaks, both in
    the supplier currency's minor units; `shipping_minor` and `insurance_minor` are for
    the whole order. `fx_rate` is CNY per unit of `currency`. `ytd_fen` is what the
    consignee has already bought this year through cross-border retail. `limits=False`
    prices a retail order at retail rates whatever its size: what it would have cost
    within the limits, to say how much more the general-trade taxes are.
    """
    currency = (currency or "").upper()
    try:
        minor_digits(currency)
    except MoneyError:
        raise LandedCostError("currency", "unknown currency") from None
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise LandedCostError("quantity", "must be a whole number of at least 1")
    for name, value in (("unit_price", unit_price_minor), ("shipping", shipping_minor),
                        ("insurance", insurance_minor), ("ytd_cny", ytd_fen)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise LandedCostError(name, "must not be negative")
        if value > MAX_AMOUNT_MINOR:
            raise LandedCostError(name, "too large")
    if not isinstance(fx_rate, Decimal) or not fx_rate.is_finite() or fx_rate <= 0:
        raise LandedCostError("fx_rate", "must be a positive number")
    try:
        regime = Regime(regime)
    except ValueError:
        raise LandedCostError("regime", "must be retail or general") from None

    unit = unit_price_for(quantity, unit_price_minor, tiers)
    if isinstance(unit, bool) or not isinstance(unit, int) or not 0 <= unit <= MAX_AMOUNT_MINOR:
        # The tier charged, not only the base price, must be a price.
        raise LandedCostError("price_tiers", "must be from 0 to the maximum amount")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return _compute(currency, unit, quantity, fx_rate, rates, regime, shipping_minor,
                        insurance_minor, ytd_fen, limits)


def _compute(currency: str, unit: int, quantity: int, fx_rate: Decimal, rates: TaxRates, regime: Regime,
             shipping_minor: int, insurance_minor: int, ytd_fen: int, limits: bool = True) -> LandedCost:
    goods_minor = unit * quantity

    # Exact CNY values (in fen, unrounded) of each part of D.
    goods = to_fen(goods_minor, currency, fx_rate)
    shipping = to_fen(shipping_minor, currency, fx_rate)
    insurance = to_fen(insurance_minor, currency, fx_rate)
    dutiable = goods + shipping + insurance  # fen, exact
    if dutiable > MAX_DUTIABLE_FEN:
        # Name the input that makes the order so large.
        parts = {"unit_price" if quantity == 1 else "quantity": goods, "shipping": shipping, "insurance": insurance}
        raise LandedCostError(max(parts, key=lambda k: parts[k]), "the order's value is too large")

    notes: list[Note] = []
    within_limits = False
    applied = Regime.GENERAL
    if regime is Regime.RETAIL:
        over_order = limits and dutiable > RETAIL_TRANSACTION_LIMIT_FEN
        over_year = limits and ytd_fen + dutiable > RETAIL_ANNUAL_LIMIT_FEN
        if over_order:
            notes.append(Note("over_transaction_limit", {"limit_fen": RETAIL_TRANSACTION_LIMIT_FEN}))
            if quantity == 1 and not over_year:
                # 49号文: a single indivisible item over 5,000 may still clear as retail,
                # taxed in full and counted toward the annual total.
                notes.append(Note("single_item_allowed"))
        if over_year:
            notes.append(Note("over_annual_limit", {
                "limit_fen": RETAIL_ANNUAL_LIMIT_FEN, "ytd_fen": ytd_fen,
                "room_fen": max(RETAIL_ANNUAL_LIMIT_FEN - ytd_fen, 0)}))
        within_limits = not (over_order or over_year)
        applied = Regime.RETAIL if within_limits else Regime.GENERAL
        if not within_limits:
            notes.append(Note("general_taxes_in_full"))

    tariff_rate = ZERO if applied is Regime.RETAIL else rates.tariff
    tariff = dutiable * tariff_rate
    c, v = rates.consumption, rates.vat
    consumption = (dutiable + tariff) / (ONE - c) * c
    vat = (dutiable + tariff + consumption) * v
    if applied is Regime.RETAIL:
        consumption *= RETAIL_TAX_SHARE
        vat *= RETAIL_TAX_SHARE
        notes.append(Note("retail_rates"))

    # A rate a hair below 1 makes (D + tariff) / (1 − c) enormous: refuse it before rounding,
    # naming the rate, rather than let the total outgrow what a JSON number holds exactly.
    taxes = {"consumption_tax_rate": consumption, "vat_rate": vat, "tariff_rate": tariff}
    if dutiable + consumption + vat + tariff > MAX_LANDED_FEN:
        raise LandedCostError(max(taxes, key=lambda k: taxes[k]), "the taxes are too large")

    tariff_fen = round_half_up(tariff)
    consumption_fen = round_half_up(consumption)
    vat_fen = round_half_up(vat)
    tax_fen = tariff_fen + consumption_fen + vat_fen
    dutiable_fen = round_half_up(dutiable)
    # The shown lines add up to the rounded dutiable value (largest remainder).
    goods_fen, shipping_fen, insurance_fen = round_to_total([goods, shipping, insurance], dutiable_fen)
    landed_fen = dutiable_fen + tax_fen
    unit_landed_fen = round_half_up(Decimal(landed_fen) / quantity)
    if rates.consumption > 0:
        notes.append(Note("consumption_tax", {"rate": rates.consumption}))

    return LandedCost(
        currency=currency, quantity=quantity, unit_price_minor=unit, goods_minor=goods_minor,
        shipping_minor=shipping_minor, insurance_minor=insurance_minor, fx_rate=fx_rate,
        goods_fen=goods_fen, shipping_fen=shipping_fen, insurance_fen=insurance_fen,
        dutiable_fen=dutiable_fen, tariff_fen=tariff_fen, consumption_tax_fen=consumption_fen,
        vat_fen=vat_fen, tax_fen=tax_fen, landed_fen=landed_fen, unit_landed_fen=unit_landed_fen,
        regime_requested=regime, regime_applied=applied, within_limits=within_limits,
        notes=tuple(notes), rates=rates,
    )
