"""Supplier settlement: a supplier's confirmed settlement of a period, payout batches and
their lines, and where each supplier wants its money (bank details of our own, kept
apart from the catalog's supplier)."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, Enum, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import states
from app.core.models import TimestampMixin, utcnow
from app.extensions import db


def _values(e: type[enum.Enum]) -> list[str]:
    return [m.value for m in e]


class SettlementStatus(str, enum.Enum):
    CONFIRMED = "confirmed"   # figures frozen, WeChat's fees recharged; waiting to be paid
    PAID = "paid"             # a payout batch paid it
    CARRIED = "carried"       # not paid on its own: its amount is part of a later settlement


class BatchStatus(str, enum.Enum):
    DRAFT = "draft"
    APPROVED = "approved"
    EXPORTED = "exported"     # the bank transfer file was made
    PAID = "paid"             # the bank executed it (its reference is kept)
    CANCELLED = "cancelled"   # its settlements are free to be paid in another batch


SETTLEMENT_MACHINE = states.Machine.of("settlement", {
    SettlementStatus.CONFIRMED: {SettlementStatus.PAID, SettlementStatus.CARRIED},
}, stamps={SettlementStatus.PAID: "paid_at"})

BATCH_MACHINE = states.Machine.of("payout_batch", {
    BatchStatus.DRAFT: {BatchStatus.APPROVED, BatchStatus.CANCELLED},
    BatchStatus.APPROVED: {BatchStatus.EXPORTED, BatchStatus.CANCELLED},
    # A file the bank refused or never ran: the batch is cancelled and made again.
    BatchStatus.EXPORTED: {BatchStatus.PAID, BatchStatus.CANCELLED},
}, stamps={BatchStatus.APPROVED: "approved_at", BatchStatus.EXPORTED: "exported_at", BatchStatus.PAID: "paid_at",
           BatchStatus.CANCELLED: "cancelled_at"})


class Settlement(db.Model):
    """What one supplier earned in one period, frozen when finance confirmed it."""

    __tablename__ = "settlements"
    __table_args__ = (
        UniqueConstraint("supplier_id", "period_first", "period_last", name="uq_settlements_supplier_period"),
        CheckConstraint("period_last >= period_first", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    supplier_name: Mapped[str] = mapped_column(String(120))
    period_first: Mapped[date] = mapped_column(Date)
    period_last: Mapped[date] = mapped_column(Date)     # inclusive, Beijing time
    gross_fen: Mapped[int] = mapped_column(BigInteger)
    refunds_fen: Mapped[int] = mapped_column(BigInteger)
    commission_fen: Mapped[int] = mapped_column(BigInteger)
    fees_fen: Mapped[int] = mapped_column(BigInteger)
    payable_fen: Mapped[int] = mapped_column(BigInteger)
    brought_forward_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_due_fen: Mapped[int] = mapped_column(BigInteger)
    # The statement's lines as confirmed: what the PDF and CSV show, whatever comes later.
    rows: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[SettlementStatus] = mapped_column(
        Enum(SettlementStatus, name="settlement_status", values_callable=_values), default=SettlementStatus.CONFIRMED)
    carried_into_id: Mapped[int | None] = mapped_column(ForeignKey("settlements.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None]
    pdf_key: Mapped[str | None] = mapped_column(String(120))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    csv_key: Mapped[str | None] = mapped_column(String(120))
    csv_sha256: Mapped[str | None] = mapped_column(String(64))


class PayoutBatch(TimestampMixin, db.Model):
    """Suppliers paid together in one bank transfer file."""

    __tablename__ = "payout_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    status: Mapped[BatchStatus] = mapped_column(
        Enum(BatchStatus, name="payout_batch_status", values_callable=_values), default=BatchStatus.DRAFT)
    total_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    exported_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    bank_reference: Mapped[str | None] = mapped_column(String(64))
    file_key: Mapped[str | None] = mapped_column(String(120))
    file_sha256: Mapped[str | None] = mapped_column(String(64))

    lines: Mapped[list[PayoutLine]] = relationship(back_populates="batch", order_by="PayoutLine.id",
                                                   cascade="all, delete-orphan")


_LIVE = text("released = false")


class PayoutLine(db.Model):
    """One supplier's settlement in a batch. A supplier's period is in one live batch at
    most: the unique indexes below refuse a second line, whoever tries at the same moment.
    A cancelled batch keeps its lines, released, so that they can be paid in another."""

    __tablename__ = "payout_lines"
    __table_args__ = (
        Index("uq_payout_lines_supplier_period", "supplier_id", "period_first", "period_last", unique=True,
              postgresql_where=_LIVE, sqlite_where=_LIVE),
        Index("uq_payout_lines_settlement", "settlement_id", unique=True, postgresql_where=_LIVE, sqlite_where=_LIVE),
        CheckConstraint("amount_fen > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id", ondelete="CASCADE"), index=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    period_first: Mapped[date] = mapped_column(Date)
    period_last: Mapped[date] = mapped_column(Date)
    supplier_name: Mapped[str] = mapped_column(String(120))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    released: Mapped[bool] = mapped_column(default=False)   # its batch was cancelled
    # The payee as the bank file named it (set when the file is made).
    payee_name: Mapped[str | None] = mapped_column(String(120))
    bank_name: Mapped[str | None] = mapped_column(String(120))
    account_masked: Mapped[str | None] = mapped_column(String(40))

    batch: Mapped[PayoutBatch] = relationship(back_populates="lines")

    @property
    def reference(self) -> str:
        """What the bank transfer carries, for the supplier to match it with its statement."""
        return f"{self.batch.number}-{self.settlement_id}"


class SupplierBankAccount(TimestampMixin, db.Model):
    """Where a supplier is paid. The account number is kept encrypted (core.crypto)."""

    __tablename__ = "supplier_bank_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"), unique=True)
    account_name: Mapped[str] = mapped_column(String(120))
    bank_name: Mapped[str] = mapped_column(String(120))
    account_cipher: Mapped[str] = mapped_column(String(300))
    account_masked: Mapped[str] = mapped_column(String(40))
    swift_bic: Mapped[str | None] = mapped_column(String(11))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
