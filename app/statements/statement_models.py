"""Buyer statements: one row per statement asked for (monthly, or on demand for any range),
its state while a job builds it, the figures it found in the ledger, and its stored files."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core import states
from app.core.models import TimestampMixin
from app.extensions import db


class StatementStatus(str, enum.Enum):
    REQUESTED = "requested"    # waiting for a worker
    BUILDING = "building"      # a worker is reading the ledger and writing the files
    READY = "ready"            # both files stored, with their checksums
    FAILED = "failed"          # the job gave up; nothing is stored


# BUILDING → BUILDING: a worker died mid-build and the job runs again from the start.
STATEMENT_MACHINE = states.Machine.of("statement", {
    StatementStatus.REQUESTED: {StatementStatus.BUILDING, StatementStatus.FAILED},
    StatementStatus.BUILDING: {StatementStatus.BUILDING, StatementStatus.READY, StatementStatus.FAILED},
}, stamps={StatementStatus.BUILDING: "started_at", StatementStatus.READY: "finished_at",
           StatementStatus.FAILED: "finished_at"})

# What a building statement is doing, in order: the page shows it as progress.
PHASES = ("ledger", "csv", "pdf", "files")


def _values(e: type[enum.Enum]) -> list[str]:
    return [m.value for m in e]


class Statement(TimestampMixin, db.Model):
    __tablename__ = "statements"
    __table_args__ = (
        # One monthly statement per company and month; those asked for on demand have no month.
        UniqueConstraint("company_id", "month", name="uq_statements_company_month"),
        Index("ix_statements_company_newest", "company_id", "id"),
        CheckConstraint("period_end >= period_start", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    # The first day of the month for a monthly statement; None for one asked for on demand.
    month: Mapped[date | None] = mapped_column(Date)
    period_start: Mapped[date] = mapped_column(Date)     # Beijing days, both included
    period_end: Mapped[date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(10), default="zh_CN")
    status: Mapped[StatementStatus] = mapped_column(
        Enum(StatementStatus, name="statement_status", values_callable=_values), default=StatementStatus.REQUESTED)
    phase: Mapped[str | None] = mapped_column(String(10))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # What the person reads when it failed (never a traceback; that goes to the log).
    error: Mapped[str | None] = mapped_column(String(200))

    # The figures, as the ledger had them when the statement was built (fen).
    line_count: Mapped[int] = mapped_column(default=0)
    opening_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    closing_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    charged_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    credited_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    adjusted_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    vat_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    consumption_tax_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    tariff_fen: Mapped[int] = mapped_column(BigInteger, default=0)

    pdf_key: Mapped[str | None] = mapped_column(String(120))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_size: Mapped[int | None]
    csv_key: Mapped[str | None] = mapped_column(String(120))
    csv_sha256: Mapped[str | None] = mapped_column(String(64))
    csv_size: Mapped[int | None]

    @property
    def kind(self) -> str:
        return "monthly" if self.month else "custom"

    @property
    def waiting(self) -> bool:
        """Still being made: the page keeps asking how it stands."""
        return self.status in (StatementStatus.REQUESTED, StatementStatus.BUILDING)

    @property
    def step(self) -> int:
        """How far a building statement is, 0 to len(PHASES) (the page's progress bar)."""
        if self.status == StatementStatus.READY:
            return len(PHASES)
        return PHASES.index(self.phase) if self.phase in PHASES else 0

    def file_name(self, suffix: str) -> str:
        return f"statement-{self.period_start:%Y%m%d}-{self.period_end:%Y%m%d}-{self.id}.{suffix}"
