"""Offers priced for buying: what an order freezes at creation (prices, FX rate and day,
shipping, each tax, the landed total), from the same facts and rules as the comparison."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from functools import cache

from sqlalchemy import Date, Select, bindparam, select

from app.catalog.compare import Need, OfferFacts, unmet
from app.catalog.landed_cost import PRECISION, LandedCost, Regime, TaxRates, compute, unit_price_for
from app.catalog.models import Offer, Product, Supplier, TaxCategory
from app.catalog.queries import facts_columns, facts_from_row, fx_table
from app.core.money import round_half_up
from app.extensions import db


@dataclass(frozen=True)
class Quote:
    quantity: int
    facts: OfferFacts
    rates: TaxRates
    product_id: int
    product_name_zh: str
    product_name_en: str
    supplier_sku: str
    commission_rate: Decimal
    reasons: list[tuple[str, dict]]    # why it cannot be bought now; empty when it can

    def cost(self, regime: Regime, ytd_fen: int = 0) -> LandedCost:
        """Landed cost of this line under `regime` (the order decides it for all its lines)."""
        f = self.facts
        unit = unit_price_for(self.quantity, f.unit_price_minor, f.tiers)
        goods = unit * self.quantity
        with localcontext() as ctx:
            ctx.prec = PRECISION
            insurance = round_half_up(Decimal(goods) * Decimal(f.insurance_rate))
        return compute(currency=f.currency, unit_price_minor=f.unit_price_minor, tiers=f.tiers,
                       quantity=self.quantity, fx_rate=Decimal(f.fx_rate), rates=self.rates, regime=regime,
                       shipping_minor=f.shipping.cost(self.quantity, goods), insurance_minor=insurance,
                       ytd_fen=ytd_fen)


@cache
def _statement() -> Select:
    fx = fx_table(bindparam("day", type_=Date))
    return (
        select(*facts_columns(fx),
               Offer.product_id, Product.name_zh, Product.name_en, Offer.supplier_sku, Supplier.commission_rate,
               TaxCategory.vat_rate, TaxCategory.consumption_rate, TaxCategory.tariff_rate,
               Offer.active, Supplier.active.label("supplier_active"), Product.active.label("product_active"))
        .join(Supplier, Supplier.id == Offer.supplier_id)
        .outerjoin(fx, fx.c.currency == Offer.currency)
        .join(Product, Product.id == Offer.product_id)
        .join(TaxCategory, TaxCategory.id == Product.tax_category_id)
        .where(Offer.id.in_(bindparam("ids", expanding=True)))
    )


def quote(lines: Sequence[tuple[int, int]], day: date) -> dict[int, Quote]:
    """Each (offer id, quantity) priced for `day`, keyed by offer id: one query.

    Offers that do not exist are missing from the result; inactive ones come with the
    reason "inactive", and every reason the comparison gives (stock, MOQ, validity…).
    """
    wanted = dict(lines)
    rows = db.session.execute(_statement(), {"ids": list(wanted), "day": day}).all() if wanted else []
    out: dict[int, Quote] = {}
    for r in rows:
        facts = facts_from_row(r)
        quantity = wanted[r.id]
        reasons = unmet(facts, Need(quantity=quantity, today=day), day + timedelta(days=facts.lead_time_days))
        if not (r.active and r.supplier_active and r.product_active):
            reasons.insert(0, ("inactive", {}))
        rates = TaxRates(vat=Decimal(r.vat_rate), consumption=Decimal(r.consumption_rate), tariff=Decimal(r.tariff_rate))
        out[r.id] = Quote(quantity, facts, rates, r.product_id, r.name_zh, r.name_en, r.supplier_sku,
                          Decimal(r.commission_rate), reasons)
    return out

