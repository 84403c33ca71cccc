"""Read-only catalog queries. Each page loads what it shows in a fixed number of queries."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Date, Integer, Select, bindparam, func, select
from sqlalchemy.orm import aliased, contains_eager

from app.catalog.compare import OfferFacts
from app.catalog.models import FxRate, Offer, PricePoint, Product, Supplier, TaxCategory, tiers_from_json
from app.catalog.landed_cost import ShippingRule
from app.extensions import db

PAGE_SIZE = 20


def fx_columns(currency_col, day) -> tuple:
    """Columns (fx_rate, fx_day): the rate in force for `currency_col` on `day`.

    Correlated subqueries rather than a LATERAL join, so the same statement runs
    on PostgreSQL and on the SQLite development database; each is one lookup in
    the (currency, day) index. CNY has no row and is taken as 1 by the caller.
    """
    def latest(column):
        return (select(column).where(FxRate.currency == currency_col, FxRate.day <= day)
                .order_by(FxRate.day.desc()).limit(1).scalar_subquery())

    return latest(FxRate.rate).label("fx_rate"), latest(FxRate.day).label("fx_day")


@cache
def _offer_facts_template() -> Select:
    """Built once: a reused statement keeps its memoized cache key, so each run skips
    both construction and compilation (the query runs on every comparison)."""
    fx_rate, fx_day = fx_columns(Offer.currency, bindparam("day", type_=Date))
    return (
        select(
            Offer.id, Offer.supplier_id, Supplier.name, Supplier.country, Supplier.fulfilment,
            Offer.currency, Offer.unit_price_minor, Offer.price_tiers, Offer.moq,
            Offer.order_increment, Offer.stock, Offer.shipping_base_minor,
            Offer.shipping_per_unit_minor, Offer.shipping_free_over_minor, Offer.insurance_rate,
            Offer.lead_time_days, Offer.regime, Offer.valid_from, Offer.valid_to,
            Supplier.on_time_rate, Supplier.rating, fx_rate, fx_day,
        )
        .join(Supplier, Supplier.id == Offer.supplier_id)
        .where(Offer.product_id == bindparam("product_id", type_=Integer), Offer.active.is_(True),
               Supplier.active.is_(True))
        .order_by(Offer.id)
    )


def offer_facts_stmt(product_id: int, day: date) -> Select:
    """The comparison query: every active offer of a product with its supplier and FX rate."""
    return _offer_facts_template().params(product_id=product_id, day=day)


_ONE = Decimal(1)


def facts_from_row(r) -> OfferFacts:
    # Numeric columns arrive as Decimal already; CNY needs no rate.
    rate = _ONE if r.currency == "CNY" else r.fx_rate
    return OfferFacts(
        offer_id=r.id, supplier_id=r.supplier_id, supplier_name=r.name, supplier_country=r.country,
        fulfilment=r.fulfilment.value, currency=r.currency, unit_price_minor=r.unit_price_minor,
        tiers=tiers_from_json(r.price_tiers) if r.price_tiers else (),
        moq=r.moq, order_increment=r.order_increment, stock=r.stock,
        shipping=ShippingRule(r.shipping_base_minor, r.shipping_per_unit_minor, r.shipping_free_over_minor),
        insurance_rate=r.insurance_rate, lead_time_days=r.lead_time_days, regime=r.regime,
        valid_from=r.valid_from, valid_to=r.valid_to, on_time_rate=r.on_time_rate,
        rating=r.rating, fx_rate=rate, fx_day=r.fx_day,
    )


def offer_facts(product_id: int, day: date) -> list[OfferFacts]:
    # A Core statement on the session's connection: no ORM entities to load here.
    rows = db.session.connection().execute(_offer_facts_template(), {"product_id": product_id, "day": day})
    return [facts_from_row(r) for r in rows]


def product_with_tax(product_id: int) -> Product | None:
    """The product and its tax category in one query."""
    stmt = (select(Product).join(Product.tax_category).options(contains_eager(Product.tax_category))
            .where(Product.id == product_id))
    return db.session.scalar(stmt)


def fx_in_force(currency: str, day: date) -> FxRate | None:
    return db.session.scalar(
        select(FxRate).where(FxRate.currency == currency, FxRate.day <= day)
        .order_by(FxRate.day.desc()).limit(1))


def tax_category_by_code(code: str) -> TaxCategory | None:
    return db.session.scalar(select(TaxCategory).where(TaxCategory.code == code, TaxCategory.active.is_(True)))


# --- search ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchFilters:
    q: str = ""
    brand: str = ""
    gtin: str = ""
    category: str = ""
    country: str = ""
    min_fen: int | None = None
    max_fen: int | None = None
    page: int = 1


@dataclass(frozen=True)
class SearchHit:
    product: Product
    best_supplier: str | None
    best_currency: str | None


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    total: int
    page: int
    pages: int


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(f: SearchFilters) -> SearchPage:
    """One page of active products matching every filter, cheapest landed unit first: two queries.

    The page query walks products in best-price order and stops after the page, then joins
    only those rows to their best offer and its supplier; a second query counts the matches
    (a plain scan, cheaper than counting inside the ordered walk). The best landed price is
    the stored per-product value, so neither query grows with the number of offers.
    """
    matching = select(Product.id, Product.best_landed_fen).where(Product.active.is_(True))
    if f.q.strip():
        matching = matching.where(Product.search_text.like(_like(f.q.strip().lower()), escape="\\"))
    if f.brand.strip():
        matching = matching.where(func.lower(Product.brand) == f.brand.strip().lower())
    if f.gtin.strip():
        matching = matching.where(Product.gtin == f.gtin.strip())
    if f.category:
        matching = matching.where(Product.category == f.category)
    if f.country:
        # Codes are two letters separated by spaces, so a substring match is exact.
        matching = matching.where(Product.supplier_countries.contains(f.country, autoescape=True))
    if f.min_fen is not None:
        matching = matching.where(Product.best_landed_fen >= f.min_fen)
    if f.max_fen is not None:
        matching = matching.where(Product.best_landed_fen <= f.max_fen)
    page = max(f.page, 1)
    picked = (matching.order_by(Product.best_landed_fen.asc().nulls_last(), Product.id)
              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE).subquery("picked"))
    best = aliased(Offer)
    best_supplier = aliased(Supplier)
    stmt = (
        select(Product, best_supplier.name, best.currency)
        .join(picked, picked.c.id == Product.id)
        .outerjoin(best, best.id == Product.best_offer_id)
        .outerjoin(best_supplier, best_supplier.id == best.supplier_id)
        .order_by(picked.c.best_landed_fen.asc().nulls_last(), Product.id)
    )
    rows = db.session.execute(stmt).all()
    total = db.session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    hits = [SearchHit(r[0], r[1], r[2]) for r in rows]
    return SearchPage(hits, total, page, max(math.ceil(total / PAGE_SIZE), 1))


# --- price history -----------------------------------------------------------------------

@dataclass(frozen=True)
class HistoryPoint:
    day: date
    unit_fen: int      # the day's unit price converted at that day's rate


def price_history(product_id: int, days: int, today: date) -> dict[int, list[HistoryPoint]]:
    """Per offer, the unit price in CNY for each recorded day of the last `days` days.

    One query: each point is converted at the FX rate in force on its own day.
    """
    since = today - timedelta(days=days - 1)
    fx_rate, _ = fx_columns(Offer.currency, PricePoint.day)
    stmt = (
        select(PricePoint.offer_id, PricePoint.day, PricePoint.unit_price_minor, Offer.currency, fx_rate)
        .join(Offer, Offer.id == PricePoint.offer_id)
        .where(Offer.product_id == product_id, PricePoint.day >= since, PricePoint.day <= today)
        .order_by(PricePoint.offer_id, PricePoint.day)
    )
    from app.core.money import round_half_up, to_fen

    series: dict[int, list[HistoryPoint]] = {}
    for offer_id, day, minor, currency, rate in db.session.execute(stmt):
        if currency == "CNY":
            rate = Decimal(1)
        if rate is None:
            continue
        fen = round_half_up(to_fen(minor, currency, Decimal(rate)))
        series.setdefault(offer_id, []).append(HistoryPoint(day, fen))
    return series
