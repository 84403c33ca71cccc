"""Reconciliation with WeChat Pay's daily bill: one run per bill day, and the rows that did not
tie out (exceptions) for a person or a query to settle.

A run keeps its counts and both sides' totals (the bill's summary row against our own
records), so the runs list reads without touching the exceptions. A matched row leaves no
record of its own: a day can hold a hundred thousand of them, and the stored bill (with its
checksum) is the record of what WeChat said.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import states
from app.core.models import TimestampMixin
from app.core.money import round_half_up
from app.extensions import db


def _values(e: type[enum.Enum]) -> list[str]:
    return [m.value for m in e]


class RunStatus(str, enum.Enum):
    QUEUED = "queued"      # asked for; the worker has not finished it yet
    DONE = "done"
    FAILED = "failed"      # WeChat could not give the bill; a person may run it again


class Outcome(str, enum.Enum):
    MISSING_HERE = "missing_here"        # in WeChat's bill, not in our records
    MISSING_REMOTE = "missing_remote"    # in our records for the day, not in WeChat's bill
    AMOUNT_MISMATCH = "amount_mismatch"
    STATE_MISMATCH = "state_mismatch"


class ExceptionStatus(str, enum.Enum):
    OPEN = "open"
    REPAIRED = "repaired"      # a query confirmed it and it was recorded as WeChat reports it
    RESOLVED = "resolved"      # a person settled it with a note (or a later run matched it)


RUN_MACHINE = states.Machine.of("reconciliation_run", {
    RunStatus.QUEUED: {RunStatus.DONE, RunStatus.FAILED},
    RunStatus.DONE: {RunStatus.QUEUED},
    RunStatus.FAILED: {RunStatus.QUEUED},
}, stamps={RunStatus.DONE: "finished_at", RunStatus.FAILED: "finished_at"})

EXCEPTION_MACHINE = states.Machine.of("reconciliation_exception", {
    ExceptionStatus.OPEN: {ExceptionStatus.REPAIRED, ExceptionStatus.RESOLVED},
}, stamps={ExceptionStatus.REPAIRED: "resolved_at", ExceptionStatus.RESOLVED: "resolved_at"})


class ReconRun(TimestampMixin, db.Model):
    """One bill day, reconciled: counts per outcome and the totals of both sides."""

    __tablename__ = "reconciliation_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_date: Mapped[date] = mapped_column(Date, unique=True)
    status: Mapped[RunStatus] = mapped_column(
        Enum(RunStatus, name="reconciliation_run_status", values_callable=_values), default=RunStatus.QUEUED)
    requests: Mapped[int] = mapped_column(default=0)     # times asked for: names each run's job
    runs: Mapped[int] = mapped_column(default=0)         # times it ran to the end
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))
    # WeChat answered "No Bill Exist": no trade that day. A normal, empty run.
    no_bill: Mapped[bool] = mapped_column(default=False)
    # The bill as WeChat sent it (core.files), so what was reconciled can be shown later.
    bill_key: Mapped[str | None] = mapped_column(String(120))
    bill_sha256: Mapped[str | None] = mapped_column(String(64))
    bill_size: Mapped[int | None] = mapped_column(BigInteger)

    rows: Mapped[int] = mapped_column(default=0)          # detail rows in the bill
    matched: Mapped[int] = mapped_column(default=0)
    missing_here: Mapped[int] = mapped_column(default=0)
    repaired: Mapped[int] = mapped_column(default=0)
    missing_remote: Mapped[int] = mapped_column(default=0)
    amount_mismatch: Mapped[int] = mapped_column(default=0)
    state_mismatch: Mapped[int] = mapped_column(default=0)
    open_exceptions: Mapped[int] = mapped_column(default=0)

    # The bill's summary row (fee in 0.00001 yuan as printed) and our side, in fen.
    bill_count: Mapped[int] = mapped_column(default=0)
    bill_paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    bill_refund_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    bill_fee_1e5_yuan: Mapped[int] = mapped_column(BigInteger, default=0)
    our_count: Mapped[int] = mapped_column(default=0)
    our_paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    our_refund_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    our_fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)

    exceptions: Mapped[list[ReconException]] = relationship(back_populates="run", order_by="ReconException.id")

    @property
    def bill_fee_fen(self) -> int:
        """The bill's fee total in fen (WeChat prints five decimals of fees rounded to the fen)."""
        return round_half_up(Decimal(self.bill_fee_1e5_yuan) / 1000)


class ReconException(TimestampMixin, db.Model):
    """A bill row (or one of our records) that did not tie out, and how it was settled."""

    __tablename__ = "reconciliation_exceptions"
    __table_args__ = (UniqueConstraint("run_id", "kind", "key", name="uq_reconciliation_exceptions_row"),
                      Index("ix_reconciliation_exceptions_run_status", "run_id", "status", "id"),
                      Index("ix_reconciliation_exceptions_outcome_status", "outcome", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("reconciliation_runs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))          # "payment" or "refund"
    # What the row is known by: the transaction id of a payment, out_refund_no of a refund.
    key: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[Outcome] = mapped_column(
        Enum(Outcome, name="reconciliation_outcome", values_callable=_values))
    status: Mapped[ExceptionStatus] = mapped_column(
        Enum(ExceptionStatus, name="reconciliation_exception_status", values_callable=_values),
        default=ExceptionStatus.OPEN)
    transaction_id: Mapped[str | None] = mapped_column(String(32), index=True)
    out_trade_no: Mapped[str | None] = mapped_column(String(32))
    out_refund_no: Mapped[str | None] = mapped_column(String(64), index=True)
    order_id: Mapped[int | None]
    traded_at: Mapped[datetime | None]
    our_fen: Mapped[int | None] = mapped_column(BigInteger)      # what we recorded
    bill_fen: Mapped[int | None] = mapped_column(BigInteger)     # what WeChat billed
    bill_fee_1e5_yuan: Mapped[int | None] = mapped_column(BigInteger)   # WeChat's fee on the row
    our_state: Mapped[str | None] = mapped_column(String(20))
    bill_state: Mapped[str | None] = mapped_column(String(20))
    # What a query (or the run) found out, in words kept for the page: a code, not prose.
    finding: Mapped[str | None] = mapped_column(String(40))
    finding_detail: Mapped[str | None] = mapped_column(String(200))
    queried_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]

    run: Mapped[ReconRun] = relationship(back_populates="exceptions")
