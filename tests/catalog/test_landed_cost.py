"""Landed cost rules, worked by hand: both regimes, both retail limits, JPY, tiers, rounding."""
from __future__ import annotations

from decimal import Decimal

import pytest

from app.catalog.landed_cost import (
    LandedCostError,
    PriceTier,
    Regime,
    ShippingRule,
    TaxRates,
    compute,
    unit_price_for,
)

COSMETICS = TaxRates(vat=Decimal("0.13"), consumption=Decimal("0.15"), tariff=Decimal("0.05"))
NO_EXCISE = TaxRates(vat=Decimal("0.13"), consumption=Decimal("0"), tariff=Decimal("0"))


def usd_order(regime: str, rates: TaxRates = COSMETICS, **kw):
    args = dict(currency="USD", unit_price_minor=1250, quantity=3, shipping_minor=800,
                fx_rate=Decimal("7.1234"), rates=rates, regime=regime)
    args.update(kw)
    return compute(**args)


def test_general_trade_taxes_in_full():
    # D = (37.50 + 8.00) × 7.1234 = 324.11470 CNY = 32411.47 fen
    # tariff = 1620.5735 → 1621; CT = 34032.0435 / 0.85 × 0.15 = 6005.6547… → 6006
    # VAT = (32411.47 + 1620.5735 + 6005.6547…) × 0.13 = 5204.9007… → 5205
    r = usd_order("general")
    assert r.dutiable_fen == 32411
    assert (r.tariff_fen, r.consumption_tax_fen, r.vat_fen) == (1621, 6006, 5205)
    assert r.tax_fen == 12832
    assert r.landed_fen == 32411 + 12832
    assert r.unit_landed_fen == 15081  # 45243 / 3 = 15081
    assert r.regime_applied is Regime.GENERAL
    assert r.within_limits is False


def test_retail_within_limits_no_tariff_and_70_percent():
    # Tariff rate 5 % is ignored: retail import within limits pays no tariff.
    # CT = 32411.47 / 0.85 × 0.15 × 0.7 = 4003.7698 → 4004
    # VAT = 32411.47 / 0.85 × 0.13 × 0.7 = 3469.9338 → 3470
    r = usd_order("retail")
    assert r.within_limits is True
    assert r.regime_applied is Regime.RETAIL
    assert (r.tariff_fen, r.consumption_tax_fen, r.vat_fen) == (0, 4004, 3470)
    assert r.landed_fen == 32411 + 7474
    assert "retail_rates" in [n.code for n in r.notes]


def test_lines_add_up_to_dutiable_value():
    # goods 26712.75 fen, shipping 5698.72 fen: the missing fen goes to the larger fraction
    r = usd_order("general")
    assert (r.goods_fen, r.shipping_fen, r.insurance_fen) == (26713, 5698, 0)
    assert r.goods_fen + r.shipping_fen + r.insurance_fen == r.dutiable_fen


def cny(regime: str, dutiable_fen: int, rates: TaxRates = NO_EXCISE, ytd_fen: int = 0, quantity: int = 1):
    assert dutiable_fen % quantity == 0
    return compute(currency="CNY", unit_price_minor=dutiable_fen // quantity, quantity=quantity,
                   fx_rate=Decimal(1), rates=rates, regime=regime, ytd_fen=ytd_fen)


def test_transaction_limit_is_inclusive():
    at_limit = cny("retail", 500_000)
    assert at_limit.within_limits and at_limit.regime_applied is Regime.RETAIL
    assert at_limit.vat_fen == 45_500  # 5000 × 0.13 × 0.7

    over = cny("retail", 500_001, quantity=1)
    assert not over.within_limits and over.regime_applied is Regime.GENERAL
    assert over.vat_fen == 65_000  # 5000.01 × 0.13 = 650.0013 → full rate
    codes = [n.code for n in over.notes]
    assert "over_transaction_limit" in codes and "general_taxes_in_full" in codes
    # a single indivisible item may still clear as retail, taxed in full
    assert "single_item_allowed" in codes


def test_transaction_limit_with_several_items_has_no_single_item_note():
    over = cny("retail", 600_000, quantity=3)
    assert "single_item_allowed" not in [n.code for n in over.notes]


def test_annual_limit_includes_this_order():
    # 21,000 already bought + 5,000 now = 26,000: still within
    inside = cny("retail", 500_000, ytd_fen=2_100_000)
    assert inside.within_limits
    # one fen more this year tips it over, and the note says how much room was left
    over = cny("retail", 500_000, ytd_fen=2_100_001)
    assert not over.within_limits
    assert over.regime_applied is Regime.GENERAL
    note = next(n for n in over.notes if n.code == "over_annual_limit")
    assert note.values["room_fen"] == 499_999
    assert over.vat_fen == 65_000


def test_annual_limit_over_with_general_tariff():
    rates = TaxRates(vat=Decimal("0.13"), consumption=Decimal("0"), tariff=Decimal("0.10"))
    r = cny("retail", 100_000, rates=rates, ytd_fen=2_550_000)
    assert r.regime_applied is Regime.GENERAL
    assert r.tariff_fen == 10_000
    assert r.vat_fen == 14_300  # (1000 + 100) × 0.13


def test_jpy_has_no_minor_digits():
    # 2 × ¥1,980 + ¥1,500 shipping at 0.0482 CNY/JPY:
    # goods 3960 × 0.0482 = 190.872 CNY, shipping 72.30 CNY, D = 263.172 CNY = 26317.2 fen
    r = compute(currency="JPY", unit_price_minor=1980, quantity=2, shipping_minor=1500,
                fx_rate=Decimal("0.0482"), rates=NO_EXCISE, regime="retail")
    assert r.goods_minor == 3960
    assert r.goods_fen == 19087 and r.shipping_fen == 7230
    assert r.dutiable_fen == 26317
    # VAT = 26317.2 × 0.13 × 0.7 = 2394.8652 → 2395
    assert r.vat_fen == 2395
    assert r.landed_fen == 26317 + 2395


def test_krw_zero_minor_digits():
    r = compute(currency="krw", unit_price_minor=25_000, quantity=1, fx_rate=Decimal("0.0052"),
                rates=NO_EXCISE, regime="general")
    assert r.currency == "KRW"
    assert r.dutiable_fen == 13_000  # ₩25,000 × 0.0052 = ¥130.00


def test_tiers_pick_highest_threshold_reached():
    tiers = [PriceTier(10, 1100), PriceTier(50, 990), PriceTier(100, 900)]
    assert unit_price_for(1, 1250, tiers) == 1250
    assert unit_price_for(9, 1250, tiers) == 1250
    assert unit_price_for(10, 1250, tiers) == 1100
    assert unit_price_for(99, 1250, tiers) == 990
    assert unit_price_for(500, 1250, list(reversed(tiers))) == 900
    r = compute(currency="USD", unit_price_minor=1250, tiers=tiers, quantity=50,
                fx_rate=Decimal("7"), rates=NO_EXCISE, regime="general")
    assert r.unit_price_minor == 990
    assert r.goods_minor == 49_500
    assert r.goods_fen == 346_500


def test_each_tax_rounded_half_up_once_at_the_end():
    # D = 123.45 CNY; VAT in full = 1604.85 fen; × 0.7 = 1123.395 → 1123.
    # Rounding the full VAT first (1605 × 0.7 = 1123.5 → 1124) would be a fen too much.
    r = cny("retail", 12_345)
    assert r.vat_fen == 1123
    # An exact half fen rounds up, not to even: 100.50 × 0.13 = 13.065 CNY → 1306.5 fen → 1307
    assert cny("general", 10_050).vat_fen == 1307


def test_vat_base_uses_exact_consumption_tax():
    # D = 1.21 CNY, c = 0.15, v = 0.13, general trade without tariff.
    # CT exact = 121 / 0.85 × 0.15 = 21.3529… fen → 21
    # VAT = (121 + 21.3529…) × 0.13 = 18.5058… → 19; built on the rounded CT it would be
    # (121 + 21) × 0.13 = 18.46 → 18.
    rates = TaxRates(vat=Decimal("0.13"), consumption=Decimal("0.15"))
    r = cny("general", 121, rates=rates)
    assert (r.consumption_tax_fen, r.vat_fen) == (21, 19)


def test_unit_landed_cost_rounds_half_up():
    # D 1000 fen + VAT 130 = 1130 over 2 units = 565
    r = cny("general", 1000, quantity=2)
    assert r.landed_fen == 1130
    assert r.unit_landed_fen == 565
    r = compute(currency="CNY", unit_price_minor=1001, quantity=2, fx_rate=Decimal(1),
                rates=TaxRates(vat=Decimal("0.1")), regime="general")
    # D 2002, VAT 200.2 → 200, landed 2202 / 2 = 1101
    assert r.unit_landed_fen == 1101
    r = compute(currency="CNY", unit_price_minor=1, quantity=2, fx_rate=Decimal(1),
                rates=TaxRates(vat=Decimal("0.5")), regime="general")
    # D 2, VAT 1, landed 3 / 2 = 1.5 → 2
    assert r.unit_landed_fen == 2


def test_insurance_counts_in_dutiable_value():
    r = compute(currency="EUR", unit_price_minor=10_000, quantity=1, insurance_minor=300,
                shipping_minor=1_200, fx_rate=Decimal("7.8"), rates=NO_EXCISE, regime="general")
    assert r.insurance_fen == 2_340
    assert r.dutiable_fen == 78_000 + 9_360 + 2_340


def test_shipping_rule():
    rule = ShippingRule(base_minor=800, per_unit_minor=150, free_over_minor=20_000)
    assert rule.cost(3, 3_750) == 1_250
    assert rule.cost(20, 20_000) == 0


@pytest.mark.parametrize("kwargs, field", [
    ({"quantity": 0}, "quantity"),
    ({"quantity": -2}, "quantity"),
    ({"unit_price_minor": -1}, "unit_price"),
    ({"shipping_minor": -5}, "shipping"),
    ({"currency": "XYZ"}, "currency"),
    ({"fx_rate": Decimal(0)}, "fx_rate"),
    ({"regime_override": "bonded"}, "regime"),
    ({"ytd_fen": -1}, "ytd_cny"),
])
def test_bad_input_names_the_field(kwargs, field):
    with pytest.raises(LandedCostError) as err:
        usd_order(kwargs.pop("regime_override", "general"), **kwargs)
    assert err.value.field == field


@pytest.mark.parametrize("name", ["vat", "consumption", "tariff"])
def test_rate_of_one_or_more_is_refused(name):
    with pytest.raises(LandedCostError) as err:
        TaxRates(**{"vat": Decimal("0.13"), name: Decimal("1")})
    assert err.value.field == f"{name}_rate"
    with pytest.raises(LandedCostError):
        TaxRates(**{"vat": Decimal("0.13"), name: Decimal("-0.01")})
