"""Read-only catalog queries. Each page loads what it shows in a fixed number of queries."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    Select,
    String,
    Text,
    and_,
    bindparam,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased, contains_eager

from app.catalog.compare import OfferFacts
from app.catalog.models import (
    FxRate,
    Offer,
    PricePoint,
    Product,
    Supplier,
    TaxCategory,
    catalog_generation,
    tiers_from_json,
)
from app.catalog.landed_cost import ShippingRule
from app.core import money
from app.extensions import db

PAGE_SIZE = 20


def fx_table(day):
    """A derived table (currency, fx_rate, fx_day): the rate in force on `day` for each
    currency the portal trades in, to join offers to by currency.

    Two index lookups per currency, whatever the number of offers: a lookup per offer
    (correlated subqueries in the select list) cost 10,000 of them for a product with
    5,000 offers. Plain subqueries under UNION ALL, so the same statement runs on
    PostgreSQL and on the SQLite development database. CNY has no row and is taken as 1
    by the caller.
    """
    def latest(column, code: str):
        return (select(column).where(FxRate.currency == code, FxRate.day <= day)
                .order_by(FxRate.day.desc()).limit(1).scalar_subquery())

    return union_all(*(
        select(literal(code, String(3)).label("currency"), latest(FxRate.rate, code).label("fx_rate"),
               latest(FxRate.day, code).label("fx_day"))
        for code in money.CODES if code != "CNY")).subquery("fx")


def facts_columns(fx) -> tuple:
    """The columns facts_from_row reads, in its order; a query may add its own after them."""
    return (
        Offer.id, Offer.supplier_id, Supplier.name, Supplier.country, Supplier.fulfilment,
        Offer.currency, Offer.unit_price_minor, Offer.price_tiers, Offer.moq,
        Offer.order_increment, Offer.stock, Offer.shipping_base_minor,
        Offer.shipping_per_unit_minor, Offer.shipping_free_over_minor, Offer.insurance_rate,
        Offer.lead_time_days, Offer.regime, Offer.valid_from, Offer.valid_to,
        Supplier.on_time_rate, Supplier.rating, fx.c.fx_rate, fx.c.fx_day,
    )


@cache
def _offer_facts_template() -> Select:
    """Built once: a reused statement keeps its memoized cache key, so each run skips
    both construction and compilation (the query runs on every comparison)."""
    fx = fx_table(bindparam("day", type_=Date))
    return (
        select(*facts_columns(fx))
        .join(Supplier, Supplier.id == Offer.supplier_id)
        .outerjoin(fx, fx.c.currency == Offer.currency)
        .where(Offer.product_id == bindparam("product_id", type_=Integer), Offer.active.is_(True),
               Supplier.active.is_(True))
        .order_by(Offer.id)
    )


def offer_facts_stmt(product_id: int, day: date) -> Select:
    """The comparison query: every active offer of a product with its supplier and FX rate."""
    return _offer_facts_template().params(product_id=product_id, day=day)


_ONE = Decimal(1)


def facts_from_row(r) -> OfferFacts:
    # Unpacked by position: a row's attributes by name cost more than the rest of this
    # together, for every offer of a product on its first view. Numeric columns arrive
    # as Decimal already; CNY needs no rate.
    (offer_id, supplier_id, name, country, fulfilment, currency, unit, tiers, moq, increment, stock,
     ship_base, ship_unit, ship_free, insurance, lead, regime, valid_from, valid_to, on_time, rating,
     fx_rate, fx_day) = tuple(r)[:23]
    return OfferFacts(
        offer_id, supplier_id, name, country, fulfilment.value, currency, unit,
        tiers_from_json(tiers) if tiers else (), moq, increment, stock,
        ShippingRule(ship_base, ship_unit, ship_free), insurance, lead, regime, valid_from, valid_to,
        on_time, rating, _ONE if currency == "CNY" else fx_rate, fx_day,
    )


def offer_facts(product_id: int, day: date) -> list[OfferFacts]:
    # A Core statement on the session's connection: no ORM entities to load here.
    rows = db.session.connection().execute(_offer_facts_template(), {"product_id": product_id, "day": day})
    return [facts_from_row(r) for r in rows]


@cache
def _product_with_tax_statement() -> Select:
    generation = (select(catalog_generation.c.token).where(catalog_generation.c.id == 1)
                  .scalar_subquery().label("generation"))
    return (select(Product, generation).join(Product.tax_category).options(contains_eager(Product.tax_category))
            .where(Product.id == bindparam("product_id", type_=Integer)))


def product_with_tax(product_id: int) -> tuple[Product | None, str | None]:
    """The product with its tax category, and the catalog generation, in one query (a
    statement built once). Read together, so offers kept in memory under that
    generation are no older than this product row."""
    row = db.session.execute(_product_with_tax_statement(), {"product_id": product_id}).first()
    return (row[0], row[1]) if row else (None, None)


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
    # Keyset: the last row of the previous page, (best landed fen or None, product id).
    after: tuple[int | None, int] | None = None
    shown: int = 0  # how many products the pages before this one showed (for "21–40")


@dataclass(frozen=True)
class SearchHit:
    product: Product
    best_supplier: str | None
    best_currency: str | None


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    first: int            # 1-based number of the first hit on this page
    more: str | None      # the cursor of the next page, None on the last


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def encode_cursor(fen: int | None, product_id: int) -> str:
    return f"{'n' if fen is None else fen}.{product_id}"


def decode_cursor(raw: str) -> tuple[int | None, int] | None:
    """The (fen or None, id) a cursor names, or None for anything that is not one."""
    fen, sep, ident = (raw or "").partition(".")
    if not sep or not ident.isascii() or not ident.isdigit() or len(raw) > 40:
        return None
    if fen == "n":
        return None, int(ident)
    if not fen.isascii() or not fen.isdigit():
        return None
    return int(fen), int(ident)


@cache
def _search_statement(q: bool, brand: bool, gtin: bool, category: bool, country: bool, min_fen: bool,
                      max_fen: bool, after: str | None) -> Select:
    """One statement per combination of filters in use, built once: values are bound at
    run time, so a search neither builds nor compiles SQL again.

    Products come cheapest landed unit first, those without a price last, by id within a
    price: the order of the (best_landed_fen, id) index, which keyset paging walks
    without counting or skipping rows. The text filter is a LIKE on the lower-cased
    search text, which a trigram index serves on PostgreSQL.
    """
    best = aliased(Offer)
    best_supplier = aliased(Supplier)
    stmt = (select(Product, best_supplier.name, best.currency)
            .outerjoin(best, best.id == Product.best_offer_id)
            .outerjoin(best_supplier, best_supplier.id == best.supplier_id)
            .where(Product.active.is_(True)))
    if q:
        stmt = stmt.where(Product.search_text.like(bindparam("q", type_=Text), escape="\\"))
    if brand:
        stmt = stmt.where(func.lower(Product.brand) == bindparam("brand", type_=Text))
    if gtin:
        stmt = stmt.where(Product.gtin == bindparam("gtin", type_=Text))
    if category:
        stmt = stmt.where(Product.category == bindparam("category", type_=Text))
    if country:
        # Codes are two letters separated by spaces, so a substring match is exact.
        stmt = stmt.where(Product.supplier_countries.like(bindparam("country", type_=Text)))
    if min_fen:
        stmt = stmt.where(Product.best_landed_fen >= bindparam("min_fen", type_=BigInteger))
    if max_fen:
        stmt = stmt.where(Product.best_landed_fen <= bindparam("max_fen", type_=BigInteger))
    after_id = bindparam("after_id", type_=Integer)
    if after == "priced":
        after_fen = bindparam("after_fen", type_=BigInteger)
        stmt = stmt.where(or_(Product.best_landed_fen > after_fen,
                              and_(Product.best_landed_fen == after_fen, Product.id > after_id),
                              Product.best_landed_fen.is_(None)))
    elif after == "unpriced":
        stmt = stmt.where(Product.best_landed_fen.is_(None), Product.id > after_id)
    return (stmt.order_by(Product.best_landed_fen.asc().nulls_last(), Product.id)
            .limit(bindparam("limit", type_=Integer)))


def search(f: SearchFilters) -> SearchPage:
    """One page of active products matching every filter, cheapest landed unit first: one query.

    It asks for one row more than a page to know whether there is a next one, instead of
    counting every match; the best landed price is the stored per-product value, so the
    query does not grow with the number of offers.
    """
    params: dict[str, object] = {"limit": PAGE_SIZE + 1}
    if f.q.strip():
        params["q"] = _like(f.q.strip().lower())
    if f.brand.strip():
        params["brand"] = f.brand.strip().lower()
    if f.gtin.strip():
        params["gtin"] = f.gtin.strip()
    if f.category:
        params["category"] = f.category
    if f.country:
        params["country"] = f"%{f.country}%"
    if f.min_fen is not None:
        params["min_fen"] = f.min_fen
    if f.max_fen is not None:
        params["max_fen"] = f.max_fen
    after = None
    if f.after is not None:
        after = "unpriced" if f.after[0] is None else "priced"
        params["after_id"] = f.after[1]
        if f.after[0] is not None:
            params["after_fen"] = f.after[0]
    stmt = _search_statement("q" in params, "brand" in params, "gtin" in params, "category" in params,
                             "country" in params, "min_fen" in params, "max_fen" in params, after)
    rows = db.session.execute(stmt, params).all()
    hits = [SearchHit(r[0], r[1], r[2]) for r in rows[:PAGE_SIZE]]
    more = None
    if len(rows) > PAGE_SIZE:
        last = hits[-1].product
        more = encode_cursor(last.best_landed_fen, last.id)
    return SearchPage(hits, f.shown + 1, more)


# --- price history -----------------------------------------------------------------------

@dataclass(frozen=True)
class HistoryPoint:
    day: date
    unit_fen: int      # the day's unit price converted at that day's rate


def price_history(product_id: int, days: int, today: date,
                  offer_ids: list[int] | None = None) -> dict[int, list[HistoryPoint]]:
    """Per offer (of `offer_ids`, when given), the unit price in CNY for each recorded day
    of the last `days` days.

    Two queries: the points, and the FX rates in force over the period (the last one
    before it too); each point is converted at the rate in force on its own day. Looking
    the rate up per point in SQL cost a subquery per point.
    """
    from bisect import bisect_right

    from app.core.money import fen_converter

    since = today - timedelta(days=days - 1)
    stmt = (select(PricePoint.offer_id, PricePoint.day, PricePoint.unit_price_minor, Offer.currency)
            .join(Offer, Offer.id == PricePoint.offer_id)
            .where(Offer.product_id == product_id, PricePoint.day >= since, PricePoint.day <= today)
            .order_by(PricePoint.offer_id, PricePoint.day))
    if offer_ids is not None:
        stmt = stmt.where(PricePoint.offer_id.in_(offer_ids))
    points = db.session.execute(stmt).all()
    currencies = {p[3] for p in points} - {"CNY"}
    rates: dict[str, tuple[list[date], list[Decimal]]] = {}
    if currencies:
        start = (select(func.max(FxRate.day)).where(FxRate.currency.in_(currencies), FxRate.day <= since)
                 .scalar_subquery())
        for currency, day, rate in db.session.execute(
                select(FxRate.currency, FxRate.day, FxRate.rate)
                .where(FxRate.currency.in_(currencies), FxRate.day <= today,
                       FxRate.day >= func.coalesce(start, since))
                .order_by(FxRate.currency, FxRate.day)):
            days_, values = rates.setdefault(currency, ([], []))
            days_.append(day)
            values.append(rate)
    series: dict[int, list[HistoryPoint]] = {}
    for offer_id, day, minor, currency in points:
        if currency == "CNY":
            rate = _ONE
        else:
            days_, values = rates.get(currency, ([], []))
            at = bisect_right(days_, day)
            if at == 0:
                continue  # no rate in force yet on that day
            rate = values[at - 1]
        series.setdefault(offer_id, []).append(HistoryPoint(day, fen_converter(currency, rate)(minor)))
    return series
