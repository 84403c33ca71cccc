"""Keeping a run's findings as exceptions, so that running a day again changes nothing that
did not change: one exception per row (kind and key) per run, updated while open, left as a
person or a repair settled it, and closed when the row ties out after all."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from app.core import states
from app.extensions import db
from app.statements.recon_models import (
    EXCEPTION_MACHINE,
    ExceptionStatus,
    Outcome,
    ReconException,
    ReconRun,
)
from app.statements.reconciliation_match import Finding

_FIELDS = ("outcome", "transaction_id", "out_trade_no", "out_refund_no", "order_id", "traded_at", "our_fen",
           "bill_fen", "our_state", "bill_state", "finding", "finding_detail")


def _fill(exception: ReconException, f: Finding) -> None:
    for name in _FIELDS:
        setattr(exception, name, getattr(f, name))
    exception.bill_fee_1e5_yuan = f.fee_1e5_yuan if f.outcome != Outcome.MISSING_REMOTE else None


def store(run: ReconRun, findings: Iterable[Finding]) -> None:
    """Record `findings` as the run's exceptions: new ones opened (or marked repaired at once),
    open ones brought up to date, settled ones left alone; an open one the run no longer
    finds is resolved, since its row now ties out."""
    existing = {(e.kind, e.key): e for e in db.session.scalars(
        select(ReconException).where(ReconException.run_id == run.id))}
    seen: set[tuple[str, str]] = set()
    for f in findings:
        key = (f.kind, f.key[:64])
        if key in seen:
            continue
        seen.add(key)
        exception = existing.get(key)
        if exception is None:
            exception = ReconException(run_id=run.id, kind=f.kind, key=key[1], status=ExceptionStatus.OPEN)
            db.session.add(exception)
        elif exception.status != ExceptionStatus.OPEN:
            continue
        _fill(exception, f)
        if f.repaired:
            states.apply(EXCEPTION_MACHINE, exception, ExceptionStatus.REPAIRED, note=f.finding)
    for key, exception in existing.items():
        if key not in seen and exception.status == ExceptionStatus.OPEN:
            exception.finding, exception.finding_detail = "matched_later", None
            states.apply(EXCEPTION_MACHINE, exception, ExceptionStatus.RESOLVED, note="ties out when run again")
    db.session.flush()


def settle_elsewhere(run: ReconRun, payments: set[str], refunds: Iterable[str]) -> int:
    """Close other days' open "missing at WeChat" exceptions for records this bill holds: WeChat
    billed them on this day (a refund near midnight, say). Returns how many runs changed."""
    refunds = set(refunds)
    touched: set[int] = set()
    for exception in db.session.scalars(select(ReconException).where(
            ReconException.outcome == Outcome.MISSING_REMOTE, ReconException.status == ExceptionStatus.OPEN,
            ReconException.run_id != run.id)):
        if exception.key in (payments if exception.kind == "payment" else refunds):
            exception.finding, exception.finding_detail = "billed_another_day", run.bill_date.isoformat()
            states.apply(EXCEPTION_MACHINE, exception, ExceptionStatus.RESOLVED,
                         note=f"in the bill of {run.bill_date.isoformat()}")
            touched.add(exception.run_id)
    for run_id in touched:
        refresh_open_count(run_id)
    return len(touched)


def count(run: ReconRun) -> None:
    """Set the run's counts from its exceptions (all of them, however they were settled)."""
    per_outcome = dict.fromkeys(Outcome, 0)
    repaired = open_ = 0
    for outcome, status, n in db.session.execute(
            select(ReconException.outcome, ReconException.status, func.count())
            .where(ReconException.run_id == run.id).group_by(ReconException.outcome, ReconException.status)):
        per_outcome[outcome] += n
        repaired += n if status == ExceptionStatus.REPAIRED else 0
        open_ += n if status == ExceptionStatus.OPEN else 0
    run.missing_here = per_outcome[Outcome.MISSING_HERE]
    run.missing_remote = per_outcome[Outcome.MISSING_REMOTE]
    run.amount_mismatch = per_outcome[Outcome.AMOUNT_MISMATCH]
    run.state_mismatch = per_outcome[Outcome.STATE_MISMATCH]
    run.repaired, run.open_exceptions = repaired, open_
    in_bill = run.missing_here + run.amount_mismatch + run.state_mismatch
    run.matched = max(run.rows - in_bill, 0)


def refresh_open_count(run_id: int) -> None:
    """After a person or a re-query settled an exception: the run's open count follows."""
    run = db.session.get(ReconRun, run_id)
    run.open_exceptions = db.session.scalar(select(func.count()).select_from(ReconException).where(
        ReconException.run_id == run_id, ReconException.status == ExceptionStatus.OPEN))
