"""Orders with their lines, frozen at creation; consignees; the cart.

An order keeps everything it was priced with (unit prices, the FX rate and its day,
shipping, each tax, the landed totals, the regime) so that what the buyer saw is what
is charged, settled and declared, whatever the catalog says later.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, Enum, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import states
from app.core.models import TimestampMixin
from app.extensions import db


def _values(e: type[enum.Enum]) -> list[str]:
    return [m.value for m in e]


class OrderState(str, enum.Enum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"        # every line is on its way
    COMPLETED = "completed"    # every line delivered, or long enough after shipping
    CLOSED = "closed"          # expired or cancelled before it was paid
    REFUNDED = "refunded"      # all the money went back


# A payment that arrives after the order closed is never lost: the order becomes paid.
# Partial refunds leave the state as it is (the order shows what was refunded).
ORDER_MACHINE = states.Machine.of("order", {
    OrderState.PENDING_PAYMENT: {OrderState.PAID, OrderState.CLOSED},
    OrderState.CLOSED: {OrderState.PAID},
    OrderState.PAID: {OrderState.SHIPPED, OrderState.REFUNDED},
    OrderState.SHIPPED: {OrderState.COMPLETED, OrderState.REFUNDED},
    OrderState.COMPLETED: {OrderState.REFUNDED},
}, attribute="state", stamps={OrderState.PAID: "paid_at", OrderState.CLOSED: "closed_at",
                              OrderState.SHIPPED: "shipped_at", OrderState.COMPLETED: "completed_at"})


class Consignee(TimestampMixin, db.Model):
    """Who receives the goods. Retail imports need the person's identity number, which is
    kept encrypted, with a keyed hash to add up their yearly purchases, and shown masked."""

    __tablename__ = "consignees"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200))
    id_cipher: Mapped[str | None] = mapped_column(String(200))
    id_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_masked: Mapped[str | None] = mapped_column(String(18))
    is_default: Mapped[bool] = mapped_column(default=False)


class Order(TimestampMixin, db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("company_id", "idempotency_key", name="uq_orders_company_idempotency"),
        Index("ix_orders_company_created", "company_id", "created_at"),
        Index("ix_orders_state_expires", "state", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[OrderState] = mapped_column(
        Enum(OrderState, name="order_state", values_callable=_values), default=OrderState.PENDING_PAYMENT)
    regime: Mapped[str] = mapped_column(String(10))            # "retail" or "general", as applied
    regime_note: Mapped[str | None] = mapped_column(String(40))  # why, when it is not what the offers asked
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    goods_fen: Mapped[int] = mapped_column(BigInteger)
    shipping_fen: Mapped[int] = mapped_column(BigInteger)
    insurance_fen: Mapped[int] = mapped_column(BigInteger)
    dutiable_fen: Mapped[int] = mapped_column(BigInteger)
    tax_fen: Mapped[int] = mapped_column(BigInteger)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    consignee_id: Mapped[int | None] = mapped_column(ForeignKey("consignees.id", ondelete="SET NULL"))
    consignee_name: Mapped[str] = mapped_column(String(40))
    consignee_phone: Mapped[str] = mapped_column(String(20))
    consignee_address: Mapped[str] = mapped_column(String(200))
    consignee_id_cipher: Mapped[str | None] = mapped_column(String(200))
    consignee_id_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    consignee_id_masked: Mapped[str | None] = mapped_column(String(18))
    expires_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(String(20))
    shipped_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    # Kept with each refund that comes through, in the same transaction: what went back, and
    # its share of the dutiable value (which no longer counts toward the person's year).
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    refunded_dutiable_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The API's Idempotency-Key and a fingerprint of the request that used it.
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    request_hash: Mapped[str | None] = mapped_column(String(64))

    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", order_by="OrderLine.id",
                                                  cascade="all, delete-orphan")


class OrderLine(db.Model):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    product_name_zh: Mapped[str] = mapped_column(String(200))
    product_name_en: Mapped[str] = mapped_column(String(200))
    supplier_name: Mapped[str] = mapped_column(String(120))
    supplier_sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    goods_minor: Mapped[int] = mapped_column(BigInteger)
    shipping_minor: Mapped[int] = mapped_column(BigInteger)
    insurance_minor: Mapped[int] = mapped_column(BigInteger)
    fx_rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    fx_day: Mapped[date | None] = mapped_column(Date)
    goods_fen: Mapped[int] = mapped_column(BigInteger)
    shipping_fen: Mapped[int] = mapped_column(BigInteger)
    insurance_fen: Mapped[int] = mapped_column(BigInteger)
    dutiable_fen: Mapped[int] = mapped_column(BigInteger)
    tariff_fen: Mapped[int] = mapped_column(BigInteger)
    consumption_tax_fen: Mapped[int] = mapped_column(BigInteger)
    vat_fen: Mapped[int] = mapped_column(BigInteger)
    tax_fen: Mapped[int] = mapped_column(BigInteger)
    landed_fen: Mapped[int] = mapped_column(BigInteger)
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    consumption_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    tariff_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    commission_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    lead_time_days: Mapped[int]
    carrier: Mapped[str | None] = mapped_column(String(40))
    tracking_no: Mapped[str | None] = mapped_column(String(40))
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]

    order: Mapped[Order] = relationship(back_populates="lines")

    def name(self, locale: str) -> str:
        return self.product_name_zh if locale.startswith("zh") else self.product_name_en


class CartItem(TimestampMixin, db.Model):
    __tablename__ = "cart_items"
    __table_args__ = (UniqueConstraint("user_id", "offer_id", name="uq_cart_items_user_offer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"))
    quantity: Mapped[int]
