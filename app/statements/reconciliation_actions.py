"""What finance does with an exception: ask WeChat again (and record what it now confirms), or
resolve it with a note. Both are kept in the audit log with who and when."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import audit, states
from app.core.errors import DomainError
from app.core.models import utcnow
from app.extensions import db
from app.payments import Refund
from app.statements import reconciliation_records as records
from app.statements import reconciliation_repair as repairs
from app.statements import reconciliation_store as kept
from app.statements.recon_models import EXCEPTION_MACHINE, ExceptionStatus, Outcome, ReconException, ReconRun
from app.statements.reconciliation_match import PAYMENT, REFUND, Fee, Finding, fee_fen

NOTE_MAX = 1000
SETTLED = _l("This exception was settled already. Reload the page to see how.")


def _lock(exception_id: int) -> ReconException:
    found = db.session.scalar(select(ReconException).where(ReconException.id == exception_id)
                              .with_for_update().execution_options(populate_existing=True))
    if found is None:
        raise DomainError(_l("There is no such exception."), code="not_found", status=404)
    return found


def resolve(exception_id: int, note: str, *, actor_id: int) -> ReconException:
    """Settle an open exception with a note saying how (kept in the audit log). Raises
    DomainError for a note that is empty or too long, IllegalTransition once it is settled."""
    note = (note or "").strip()
    if not note:
        raise DomainError(_l("Say how it was settled: the note is kept with the exception."), "note")
    if len(note) > NOTE_MAX:
        raise DomainError(_l("Use at most %(max)d characters.", max=NOTE_MAX), "note")
    exception = _lock(exception_id)
    states.apply(EXCEPTION_MACHINE, exception, ExceptionStatus.RESOLVED, actor_id=actor_id, note=note,
                 message=SETTLED)
    exception.note, exception.resolved_by_id = note, actor_id
    kept.refresh_open_count(exception.run_id)
    return exception


def _finding(e: ReconException) -> Finding:
    return Finding(e.kind, e.key, e.outcome, e.transaction_id, e.out_trade_no, e.out_refund_no, e.order_id,
                   e.traded_at, e.our_fen, e.bill_fen, e.our_state, e.bill_state, e.finding, e.finding_detail,
                   fee_1e5_yuan=e.bill_fee_1e5_yuan or 0)


def _ask(f: Finding) -> None:
    """The question for WeChat that settles or explains this kind of finding."""
    if f.kind == PAYMENT and f.outcome == Outcome.MISSING_HERE:
        repairs.repair_payment(f, records.attempts_by_number([f.out_trade_no or ""]).get(f.out_trade_no or ""))
    elif f.kind == PAYMENT:
        repairs.check_remote_payment(f)
    elif f.outcome == Outcome.STATE_MISMATCH and f.our_state == "processing":
        refund_id = db.session.scalar(select(Refund.id).where(Refund.out_refund_no == f.key))
        repairs.repair_refund(f, refund_id)
    else:
        repairs.refund_known_at_wechat(f)


def requery(exception_id: int, *, actor_id: int) -> ReconException:
    """Ask WeChat about an open exception again; record what it now confirms (marked repaired),
    or keep what it answered. A refund WeChat turns out to have billed on another day is
    resolved. Raises IllegalTransition once the exception is settled."""
    exception = _lock(exception_id)
    if exception.status != ExceptionStatus.OPEN:
        raise states.IllegalTransition(EXCEPTION_MACHINE, exception, exception.status, ExceptionStatus.OPEN, SETTLED)
    f = _finding(exception)
    _ask(f)
    for name in ("outcome", "order_id", "our_fen", "our_state", "finding", "finding_detail"):
        setattr(exception, name, getattr(f, name))
    exception.queried_at = utcnow()
    audit.record(exception, "requery", actor_id=actor_id, note=f"{f.finding}: {f.finding_detail or ''}"[:500])
    if f.repaired:
        states.apply(EXCEPTION_MACHINE, exception, ExceptionStatus.REPAIRED, actor_id=actor_id, note=f.finding)
        _post_fee(exception, f)
    elif f.kind == REFUND and f.outcome == Outcome.MISSING_REMOTE and f.finding == "billed_another_day":
        states.apply(EXCEPTION_MACHINE, exception, ExceptionStatus.RESOLVED, actor_id=actor_id,
                     note="WeChat Pay has it: billed on the day it processed it")
    run = db.session.get(ReconRun, exception.run_id)
    kept.count(run)
    db.session.flush()
    return exception


def _post_fee(exception: ReconException, f: Finding) -> None:
    """A row repaired on re-query is now one of our trades: its fee is booked as the run would."""
    from app.statements.reconciliation import post_fees

    if exception.bill_fee_1e5_yuan is None or exception.traded_at is None:
        return
    if f.kind == PAYMENT:
        ours = records.payments_by_id([f.key]).get(f.key)
        order_id, company_id = (ours.order_id, ours.company_id) if ours else (f.order_id, None)
    else:
        ours_refund = records.refunds_by_number([f.key]).get(f.key)
        order_id, company_id = (ours_refund.order_id, ours_refund.company_id) if ours_refund else (f.order_id, None)
    post_fees([Fee(f.kind, f.key, fee_fen(exception.bill_fee_1e5_yuan), order_id, company_id, exception.traded_at)])
