"""Suppliers, products, offers, tax categories, FX rates, price history and price-list imports."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Numeric,
    String,
    Column,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.landed_cost import PriceTier, Regime, TaxRates
from app.core import states
from app.core.models import TimestampMixin
from app.extensions import db


def _values(e: type[enum.Enum]) -> list[str]:
    return [m.value for m in e]


class Fulfilment(str, enum.Enum):
    OVERSEAS_WAREHOUSE = "overseas_warehouse"   # 海外仓
    OVERSEAS_MALL = "overseas_mall"             # 海外商城直购
    BONDED_WAREHOUSE = "bonded_warehouse"       # 保税仓
    DIRECT_MAIL = "direct_mail"                 # 直邮


class ImportStatus(str, enum.Enum):
    QUEUED = "queued"       # stored; its import job is promised (it shows as running once started)
    DONE = "done"
    REJECTED = "rejected"   # the file had bad rows; nothing was changed
    FAILED = "failed"       # the job itself broke; nothing was changed


# The import is checked and applied in one transaction, so it goes from queued straight
# to its outcome; while its job runs, the page reads that from the job's intent.
IMPORT_MACHINE = states.Machine.of("price_list_import", {
    ImportStatus.QUEUED: {ImportStatus.DONE, ImportStatus.REJECTED, ImportStatus.FAILED},
}, stamps={s: "finished_at" for s in (ImportStatus.DONE, ImportStatus.REJECTED, ImportStatus.FAILED)})


REGIME_ENUM = Enum(Regime, name="import_regime", values_callable=_values)


class Supplier(TimestampMixin, db.Model):
    __tablename__ = "suppliers"
    __table_args__ = (
        CheckConstraint("lead_min_days >= 0 AND lead_max_days >= lead_min_days", name="lead_range"),
        CheckConstraint("on_time_rate >= 0 AND on_time_rate <= 1", name="on_time_rate"),
        CheckConstraint("rating >= 0 AND rating <= 5", name="rating"),
        CheckConstraint("commission_rate >= 0 AND commission_rate < 1", name="commission_rate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    country: Mapped[str] = mapped_column(String(2), index=True)          # ISO 3166-1 alpha-2
    fulfilment: Mapped[Fulfilment] = mapped_column(
        Enum(Fulfilment, name="fulfilment_model", values_callable=_values))
    currency: Mapped[str] = mapped_column(String(3))
    lead_min_days: Mapped[int]
    lead_max_days: Mapped[int]
    on_time_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4))        # 0.9650 = 96.5 %
    rating: Mapped[Decimal] = mapped_column(Numeric(2, 1))              # 0.0 – 5.0
    # The platform's commission on what the supplier is paid for (goods, shipping, insurance).
    commission_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal("0.05"),
                                                     server_default="0.05")
    active: Mapped[bool] = mapped_column(default=True)

    offers: Mapped[list[Offer]] = relationship(back_populates="supplier")


class TaxCategory(TimestampMixin, db.Model):
    __tablename__ = "tax_categories"
    __table_args__ = tuple(
        CheckConstraint(f"{c} >= 0 AND {c} < 1", name=c)
        for c in ("vat_rate", "consumption_rate", "tariff_rate")
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    consumption_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4), default=Decimal(0))
    tariff_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4), default=Decimal(0))  # general trade
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def rates(self) -> TaxRates:
        return TaxRates(vat=Decimal(self.vat_rate), consumption=Decimal(self.consumption_rate),
                        tariff=Decimal(self.tariff_rate))

    def name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en


class Product(TimestampMixin, db.Model):
    __tablename__ = "products"
    __table_args__ = (
        # Search pages walk products cheapest first, by id within a price (keyset paging).
        Index("ix_products_best_landed", "best_landed_fen", "id"),
        Index("ix_products_category_best", "category", "best_landed_fen", "id"),
        # Search matches brands case-insensitively.
        Index("ix_products_brand_lower", text("lower(brand)")),
        # Substring search in any language ("面霜" in "保湿面霜"): a trigram index serves the
        # LIKE on PostgreSQL (the SQLite development database scans).
        Index("ix_products_search_text_trgm", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str] = mapped_column(String(80), index=True)
    model: Mapped[str] = mapped_column(String(80), default="")
    gtin: Mapped[str | None] = mapped_column(String(14), unique=True)
    category: Mapped[str] = mapped_column(String(32))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    image_url: Mapped[str | None] = mapped_column(String(500))
    hs_code: Mapped[str] = mapped_column(String(10), default="")
    tax_category_id: Mapped[int] = mapped_column(ForeignKey("tax_categories.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Lower-cased names, brand, model and GTIN: one LIKE finds "面霜" in "保湿面霜".
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Derived: the cheapest landed cost of one unit over the active offers, refreshed
    # whenever an offer, FX rate or tax category changes (services.refresh_best_prices).
    best_landed_fen: Mapped[int | None] = mapped_column(BigInteger)
    best_offer_id: Mapped[int | None]
    offer_count: Mapped[int] = mapped_column(default=0)
    # Derived with best_landed_fen: the countries of the suppliers with active offers,
    # space-separated ISO codes ("JP KR US"), so the country filter reads one column.
    supplier_countries: Mapped[str] = mapped_column(String(120), default="")

    tax_category: Mapped[TaxCategory] = relationship()
    offers: Mapped[list[Offer]] = relationship(back_populates="product")

    def name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en

    def refresh_search_text(self) -> None:
        parts = [self.name_zh, self.name_en, self.brand, self.model or "", self.gtin or ""]
        self.search_text = " ".join(p.strip().lower() for p in parts if p)


class Offer(TimestampMixin, db.Model):
    __tablename__ = "offers"
    __table_args__ = (
        UniqueConstraint("supplier_id", "supplier_sku"),
        CheckConstraint("unit_price_minor >= 0", name="unit_price"),
        CheckConstraint("moq >= 1 AND order_increment >= 1 AND stock >= 0", name="quantities"),
        CheckConstraint("lead_time_days >= 0", name="lead_time"),
        CheckConstraint("insurance_rate >= 0 AND insurance_rate < 1", name="insurance_rate"),
        Index("ix_offers_product_active", "product_id", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    supplier_sku: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    # [{"min_quantity": 10, "unit_minor": 1100}, ...]: the unit price from that quantity on.
    price_tiers: Mapped[list[dict[str, int]]] = mapped_column(JSON, default=list)
    moq: Mapped[int] = mapped_column(default=1)
    order_increment: Mapped[int] = mapped_column(default=1)
    stock: Mapped[int] = mapped_column(default=0)
    shipping_base_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_per_unit_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_free_over_minor: Mapped[int | None] = mapped_column(BigInteger)
    insurance_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4), default=Decimal(0))
    lead_time_days: Mapped[int]
    regime: Mapped[Regime] = mapped_column(REGIME_ENUM)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True)

    supplier: Mapped[Supplier] = relationship(back_populates="offers")
    product: Mapped[Product] = relationship(back_populates="offers")


# One row whose token the database replaces, in the writing transaction, on every change
# to offers, suppliers or FX rates (triggers, migration 0007): whatever path the change
# takes (a form, a bulk import, SQL by hand). Readers that keep a product's costed offers
# in memory keep them only while the token they were built under is still the one in force.
catalog_generation = Table(
    "catalog_generation", db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("token", String(32), nullable=False),
)


def tiers_from_json(raw: list[dict[str, int]] | None) -> tuple[PriceTier, ...]:
    return tuple(sorted((PriceTier(int(t["min_quantity"]), int(t["unit_minor"])) for t in raw or ()),
                        key=lambda t: t.min_quantity))


class FxRate(TimestampMixin, db.Model):
    """CNY per one unit of `currency`, in force from `day` until the next row."""

    __tablename__ = "fx_rates"
    __table_args__ = (
        UniqueConstraint("currency", "day"),
        CheckConstraint("rate > 0", name="positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    day: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(60), default="")


class PricePoint(db.Model):
    __tablename__ = "price_points"
    __table_args__ = (UniqueConstraint("offer_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)


class PriceListImport(TimestampMixin, db.Model):
    """One uploaded supplier price list; the file waits here for the import job."""

    __tablename__ = "price_list_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[ImportStatus] = mapped_column(
        Enum(ImportStatus, name="price_import_status", values_callable=_values), default=ImportStatus.QUEUED)
    total_rows: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    # [{"row": 12, "column": "unit_price", "reason": "..."}]
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    finished_at: Mapped[datetime | None]

    supplier: Mapped[Supplier] = relationship()
