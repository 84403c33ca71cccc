"""Catalog changes. Each function flushes; the request or the job commits once."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql

from app.catalog.compare import landed
from app.catalog.landed_cost import LandedCostError, TaxRates
from app.catalog.models import (
    IMPORT_MACHINE,
    FxRate,
    ImportStatus,
    Offer,
    PriceListImport,
    PricePoint,
    Product,
    Supplier,
    TaxCategory,
)
from app.catalog.queries import facts_columns, facts_from_row, fx_table
from app.core import jobs, states
from app.core.db import batches
from app.core.errors import DomainError
from app.extensions import db


CHINA = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """The business day in China, which is when prices and FX rates change."""
    return datetime.now(CHINA).date()


# --- derived best price -------------------------------------------------------------------

def refresh_best_prices(product_ids: Iterable[int] | None = None, day: date | None = None,
                        batch: int = 5000) -> int:
    """Recompute each product's cheapest landed unit at quantity 1 and its offer count.

    Only offers that sell a single unit today count (valid, minimum order 1, in stock).
    `product_ids=None` refreshes every product; returns how many products were updated.
    The work streams offers in batches so that 100,000 offers stay in bounded memory.
    """
    day = day or today()
    ids = None if product_ids is None else sorted(set(product_ids))
    if ids is not None and not ids:
        return 0
    best: dict[int, tuple[int, int]] = {}
    counts: dict[int, int] = {}
    countries: dict[int, set[str]] = {}
    rates_cache: dict[tuple, TaxRates] = {}
    for r in _offer_rows(ids, day, batch):
        counts[r.product_id] = counts.get(r.product_id, 0) + 1
        countries.setdefault(r.product_id, set()).add(r.country)
        facts = facts_from_row(r)
        if (facts.fx_rate is None or facts.moq > 1 or facts.stock < 1
                or not (facts.valid_from <= day and (facts.valid_to is None or day <= facts.valid_to))):
            continue
        key = (r.vat_rate, r.consumption_rate, r.tariff_rate)
        rates = rates_cache.get(key)
        if rates is None:
            rates = rates_cache[key] = TaxRates(vat=Decimal(key[0]), consumption=Decimal(key[1]),
                                                tariff=Decimal(key[2]))
        try:
            unit = landed(facts, 1, rates).unit_landed_fen
        except LandedCostError:
            continue
        current = best.get(r.product_id)
        if current is None or unit < current[0]:
            best[r.product_id] = (unit, facts.offer_id)
    if ids is None:
        ids = list(db.session.scalars(select(Product.id)))
    updates = [{"id": pid, "best_landed_fen": best.get(pid, (None, None))[0],
                "best_offer_id": best.get(pid, (None, None))[1], "offer_count": counts.get(pid, 0),
                "supplier_countries": " ".join(sorted(countries.get(pid, ())))}
               for pid in ids]
    for start in range(0, len(updates), batch):
        db.session.execute(update(Product), updates[start:start + batch])
    # Bulk updates bypass loaded objects; make any loaded product read the new values.
    wanted = set(ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Product) and obj.id in wanted:
            db.session.expire(obj, ["best_landed_fen", "best_offer_id", "offer_count", "supplier_countries"])
    db.session.flush()
    return len(updates)


def _offer_rows(ids: list[int] | None, day: date, batch: int) -> Iterator[Any]:
    # A product's offers all come in one piece, so the ids may be split into IN lists
    # that each fit in one statement.
    for piece in ([None] if ids is None else batches(ids)):
        yield from db.session.execute(_offers_for_products(piece, day).execution_options(yield_per=batch))


def _offers_for_products(ids: Sequence[int] | None, day: date):
    fx = fx_table(day)
    stmt = (
        select(*facts_columns(fx), Offer.product_id,
               TaxCategory.vat_rate, TaxCategory.consumption_rate, TaxCategory.tariff_rate)
        .join(Supplier, Supplier.id == Offer.supplier_id)
        .outerjoin(fx, fx.c.currency == Offer.currency)
        .join(Product, Product.id == Offer.product_id)
        .join(TaxCategory, TaxCategory.id == Product.tax_category_id)
        .where(Offer.active.is_(True), Supplier.active.is_(True))
        .order_by(Offer.product_id, Offer.id)
    )
    if ids is not None:
        stmt = stmt.where(Offer.product_id.in_(ids))
    return stmt


# --- suppliers, tax categories, products, offers ----------------------------------------

def _assign(obj: Any, data: dict[str, Any]) -> None:
    for key, value in data.items():
        setattr(obj, key, value)


def save_supplier(supplier: Supplier | None, data: dict[str, Any]) -> Supplier:
    """Create or change a supplier; raises DomainError when the name is taken or the
    currency would change under existing offers."""
    clash = db.session.scalar(select(Supplier.id).where(func.lower(Supplier.name) == data["name"].strip().lower()))
    if clash and (supplier is None or clash != supplier.id):
        raise DomainError(_l("Another supplier already has this name."), "name")
    if data["lead_max_days"] < data["lead_min_days"]:
        raise DomainError(_l("The longest lead time must not be shorter than the shortest."), "lead_max_days")
    if (supplier is not None and supplier.currency != data["currency"]
            and db.session.scalar(select(Offer.id).where(Offer.supplier_id == supplier.id).limit(1)) is not None):
        # Offers keep prices in minor units of the supplier's currency: changing it would
        # silently reprice every offer (and 1250 cents are not 1250 yen).
        raise DomainError(_l("This supplier has offers priced in its current currency, so the currency cannot change. "
                          "Create a new supplier for the other currency."), "currency")
    moved = supplier is not None and supplier.country != data["country"]
    supplier = supplier or Supplier()
    _assign(supplier, data)
    db.session.add(supplier)
    db.session.flush()
    if moved:  # the country filter of search reads a derived column
        refresh_best_prices(db.session.scalars(select(Offer.product_id).where(Offer.supplier_id == supplier.id)))
    return supplier


def save_tax_category(category: TaxCategory | None, data: dict[str, Any]) -> TaxCategory:
    """Create or change a tax category; raises DomainError when the code is taken."""
    clash = db.session.scalar(select(TaxCategory.id).where(TaxCategory.code == data["code"]))
    if clash and (category is None or clash != category.id):
        raise DomainError(_l("Another tax category already uses this code."), "code")
    category = category or TaxCategory()
    _assign(category, data)
    db.session.add(category)
    db.session.flush()
    _reprice_category(category)
    return category


def _reprice_category(category: TaxCategory) -> None:
    from app.catalog.jobs import refresh_for_tax_category

    jobs.after_commit(refresh_for_tax_category, category.id)


def save_product(product: Product | None, data: dict[str, Any]) -> Product:
    """Create or change a product; raises DomainError when the GTIN belongs to another product."""
    gtin = data.get("gtin") or None
    data["gtin"] = gtin
    if gtin:
        clash = db.session.scalar(select(Product.id).where(Product.gtin == gtin))
        if clash and (product is None or clash != product.id):
            raise DomainError(_l("Another product already has this GTIN."), "gtin")
    product = product or Product(attributes={})
    _assign(product, data)
    product.refresh_search_text()
    db.session.add(product)
    db.session.flush()
    return product


def save_offer(offer: Offer | None, data: dict[str, Any], day: date | None = None) -> Offer:
    """Create or change an offer, record today's price point and refresh the product's best price.

    Raises DomainError when the supplier or product does not exist or the supplier already uses the SKU.
    """
    supplier = db.session.get(Supplier, data["supplier_id"])
    if supplier is None:
        raise DomainError(_l("Choose a supplier."), "supplier_id")
    if db.session.get(Product, data["product_id"]) is None:
        raise DomainError(_l("There is no product with this number."), "product_id")
    clash = db.session.scalar(select(Offer.id).where(Offer.supplier_id == supplier.id,
                                                     Offer.supplier_sku == data["supplier_sku"]))
    if clash and (offer is None or clash != offer.id):
        raise DomainError(_l("This supplier already has an offer with this SKU."), "supplier_sku")
    if data.get("valid_to") and data["valid_to"] < data["valid_from"]:
        raise DomainError(_l("The end date must not be before the start date."), "valid_to")
    old_product = offer.product_id if offer else None
    offer = offer or Offer()
    _assign(offer, data)
    offer.currency = supplier.currency
    db.session.add(offer)
    db.session.flush()
    record_price_points([offer], day or today())
    refresh_best_prices({offer.product_id, old_product} - {None}, day)
    return offer


def set_active(obj: Any, active: bool) -> None:
    """Deactivate (or reactivate) a supplier, product, offer or tax category; prices follow."""
    obj.active = active
    db.session.flush()
    if isinstance(obj, Offer):
        refresh_best_prices([obj.product_id])
    elif isinstance(obj, Supplier):
        refresh_best_prices(db.session.scalars(select(Offer.product_id).where(Offer.supplier_id == obj.id)))
    elif isinstance(obj, TaxCategory):
        _reprice_category(obj)


def record_price_points(offers: Iterable[Any], day: date) -> None:
    """Today's unit price for each offer (one row per offer and day; the last change wins).

    `offers` are Offers or rows with their `id` and `unit_price_minor`; any number of them
    (a whole price list) is written in batches that each fit in one statement.
    """
    rows = [{"offer_id": o.id, "day": day, "unit_price_minor": o.unit_price_minor} for o in offers]
    if not rows:
        return
    if db.engine.dialect.name == "postgresql":
        stmt = postgresql.insert(PricePoint)
        stmt = stmt.on_conflict_do_update(index_elements=["offer_id", "day"],
                                          set_={"unit_price_minor": stmt.excluded.unit_price_minor})
        for batch in batches(rows, per_item=3):
            # One statement compiled once; SQLAlchemy sends the rows as multi-row VALUES pages.
            db.session.execute(stmt, batch)
    else:
        for row in rows:
            point = db.session.scalar(select(PricePoint).where(PricePoint.offer_id == row["offer_id"],
                                                               PricePoint.day == day))
            if point is None:
                db.session.add(PricePoint(**row))
            else:
                point.unit_price_minor = row["unit_price_minor"]
    db.session.flush()


def save_fx_rate(data: dict[str, Any]) -> FxRate:
    """Record the rate of a currency for a day (replacing that day's rate if there was one).

    The products offered in that currency are repriced by a job after the commit.
    """
    if data["currency"] == "CNY":
        raise DomainError(_l("CNY needs no exchange rate."), "currency")
    rate = db.session.scalar(select(FxRate).where(FxRate.currency == data["currency"], FxRate.day == data["day"]))
    rate = rate or FxRate()
    _assign(rate, data)
    db.session.add(rate)
    db.session.flush()
    from app.catalog.jobs import refresh_for_currency

    jobs.after_commit(refresh_for_currency, rate.currency)
    return rate


def products_using_currency(currency: str) -> list[int]:
    return list(db.session.scalars(select(Offer.product_id).where(Offer.currency == currency).distinct()))


def products_in_tax_category(category_id: int) -> list[int]:
    return list(db.session.scalars(select(Product.id).where(Product.tax_category_id == category_id)))


# --- price-list imports ---------------------------------------------------------------------

def accept_import(supplier: Supplier, uploaded_by_id: int | None, filename: str, content: str) -> PriceListImport:
    """Store an uploaded price list and promise its import (a job, after the commit)."""
    from app.catalog.jobs import import_key, run_price_list_import

    job = PriceListImport(supplier=supplier, uploaded_by_id=uploaded_by_id, filename=filename, content=content)
    db.session.add(job)
    db.session.flush()
    jobs.after_commit(run_price_list_import, job.id, key=import_key(job.id))
    return job


def import_running(import_id: int) -> bool:
    from app.catalog.jobs import import_key

    return jobs.status_of(import_key(import_id)) == jobs.IntentStatus.RUNNING


def run_import(import_id: int, report) -> str:
    """Check a stored price list and apply it whole, or record every bad row and change nothing."""
    from app.catalog import importer

    job = db.session.get(PriceListImport, import_id, with_for_update=True)
    if job is None or job.status != ImportStatus.QUEUED:
        return "nothing to do"
    supplier = job.supplier
    checked = importer.check(job.content, supplier, today(), report)
    job.total_rows = checked.total
    if checked.errors:
        job.errors = checked.errors
        states.apply(IMPORT_MACHINE, job, ImportStatus.REJECTED)
    else:
        report(checked.total, checked.total, "apply")
        job.created_count, job.updated_count = importer.apply(checked.rows, supplier, today())
        states.apply(IMPORT_MACHINE, job, ImportStatus.DONE)
    db.session.flush()
    return job.status.value


def import_failed(import_id: int) -> None:
    """The import job broke on every try: say so on the import (nothing was changed)."""
    job = db.session.get(PriceListImport, import_id, with_for_update=True)
    if job is not None and IMPORT_MACHINE.can(job, ImportStatus.FAILED):
        states.apply(IMPORT_MACHINE, job, ImportStatus.FAILED)
