"""Lists for the operations pages: one query per page for the rows (window count included)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from app.core import numbers
from app.catalog.models import FxRate, Offer, PriceListImport, Product, Supplier, TaxCategory
from app.extensions import db

PAGE_SIZE = 50


@dataclass
class OpsPage:
    items: list[Any]
    total: int
    page: int
    pages: int


def tax_categories() -> list[TaxCategory]:
    return list(db.session.scalars(select(TaxCategory).order_by(TaxCategory.code)))


def suppliers() -> list[Supplier]:
    return list(db.session.scalars(select(Supplier).order_by(Supplier.name)))


def recent_imports(supplier_id: int, limit: int = 10) -> list[PriceListImport]:
    stmt = (select(PriceListImport).where(PriceListImport.supplier_id == supplier_id)
            .order_by(PriceListImport.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def whole(raw: str | None, lo: int = 0) -> int | None:
    """An ASCII whole number from a query string, or None (a bad page number shows page 1)."""
    try:
        return numbers.parse_int(raw, lo) if raw else None
    except numbers.NumberError:
        return None


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _filtered(kind: str, args: Mapping[str, str]):
    q = (args.get("q") or "").strip()
    if kind == "suppliers":
        stmt = select(Supplier).order_by(Supplier.active.desc(), Supplier.name)
        if q:
            stmt = stmt.where(Supplier.name.ilike(_like(q), escape="\\"))
    elif kind == "products":
        stmt = (select(Product).options(joinedload(Product.tax_category))
                .order_by(Product.active.desc(), Product.id))
        if q:
            stmt = stmt.where(or_(Product.search_text.like(_like(q.lower()), escape="\\"), Product.gtin == q))
    elif kind == "offers":
        stmt = (select(Offer).options(joinedload(Offer.supplier), joinedload(Offer.product))
                .order_by(Offer.active.desc(), Offer.id))
        for name, col in (("supplier_id", Offer.supplier_id), ("product_id", Offer.product_id)):
            if (ident := whole(args.get(name))) is not None:
                stmt = stmt.where(col == ident)
        if q:
            stmt = stmt.where(Offer.supplier_sku.ilike(_like(q), escape="\\"))
    elif kind == "tax-categories":
        stmt = select(TaxCategory).order_by(TaxCategory.active.desc(), TaxCategory.code)
    else:
        stmt = select(FxRate).order_by(FxRate.day.desc(), FxRate.currency)
        if q:
            stmt = stmt.where(FxRate.currency == q.upper())
    return stmt


def listing(kind: str, args: Mapping[str, str]) -> OpsPage:
    page = whole(args.get("page"), lo=1) or 1
    stmt = _filtered(kind, args)
    total_col = func.count().over().label("total")
    rows = db.session.execute(stmt.add_columns(total_col).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).unique().all()
    total = rows[0].total if rows else 0
    return OpsPage([r[0] for r in rows], total, page, max(math.ceil(total / PAGE_SIZE), 1))
