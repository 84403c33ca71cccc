"""Asking WeChat about the rows that did not tie out, and recording what it confirms.

A payment WeChat billed and we lack is looked up with an order query and, if WeChat
confirms it, recorded through the payments domain's one apply function (as a notify or a
poll would); a refund still processing here but settled in the bill goes through the
refund's own check, which settles it as its notify would. Each repair runs in a savepoint,
so one that goes wrong undoes itself and nothing else. What WeChat answered is kept on the
finding as a short code (`finding`) the page words, with WeChat's own terms as detail.
"""
from __future__ import annotations

from sqlalchemy import select

from app.core.errors import DomainError
from app.core.jobs import RetryLater
from app.extensions import db
from app.payments import Attempt, Payment
from app.payments import gateway as gw
from app.payments import refunds as money_back
from app.payments import services as pay
from app.payments.models import Query
from app.statements.recon_models import Outcome
from app.statements.reconciliation_match import AGREES, Finding

# Our records the bill lacks are each looked up at WeChat; past this many in one run the
# rest wait for a person's re-query, so a broken day cannot keep a run asking for hours.
MAX_QUERIES_PER_RUN = 100


def _said(status: gw.OrderStatus) -> str:
    paid = f", paid {status.paid_at:%Y-%m-%d %H:%M:%S}" if status.paid_at else ""
    return f"{status.trade_state.value} {status.total_fee} fen{paid}"[:200]


def repair_payment(f: Finding, attempt: Attempt | None) -> None:
    """A payment WeChat billed that we lack: query it and, if WeChat confirms it, record it."""
    if attempt is None:
        f.finding, f.finding_detail = "unknown_here", None
        return
    try:
        with db.session.begin_nested():
            status = pay.query(attempt, "reconcile")
    except pay.Mismatch:
        f.outcome, f.finding = Outcome.AMOUNT_MISMATCH, "amount_differs"
        f.order_id = f.order_id or _order_of(attempt)
        return
    except DomainError as e:
        f.finding, f.finding_detail = "not_recorded", str(e.message)[:200]
        return
    f.order_id = f.order_id or _order_of(attempt)
    if status is None:
        last = db.session.scalar(select(Query.trade_state).where(Query.attempt_id == attempt.id)
                                 .order_by(Query.id.desc()).limit(1))
        f.finding = "wechat_unknown" if last == "ORDERNOTEXIST" else "query_failed"
        return
    f.finding_detail = _said(status)
    recorded = db.session.scalar(select(Payment.id).where(Payment.transaction_id == f.transaction_id))
    if recorded is not None:
        f.repaired, f.finding, f.our_state, f.our_fen = True, "wechat_paid", "paid", status.total_fee
    else:
        f.finding = "wechat_paid" if status.is_paid else "wechat_not_paid"


def _order_of(attempt: Attempt) -> int | None:
    from app.statements.reconciliation_records import ORDER_OWNER

    charge = attempt.charge
    return charge.owner_id if charge.owner_type == ORDER_OWNER else None


def repair_refund(f: Finding, refund_id: int) -> None:
    """A refund whose state here is behind the bill's: settle it as its query says."""
    try:
        with db.session.begin_nested():
            status = money_back.check(refund_id)
    except RetryLater as e:
        f.finding, f.finding_detail = "not_confirmed", str(e)[:200]
        return
    f.our_state = status
    if status in AGREES.get(f.bill_state or "", ()):
        f.repaired, f.finding = True, "refund_settled"
    else:
        f.finding = "still_differs"


def check_remote_payment(f: Finding) -> None:
    """One of our payments the bill lacks: what does WeChat say of it?"""
    try:
        status = pay.get_gateway().query_order(transaction_id=f.transaction_id)
    except gw.OrderNotFound:
        f.finding, f.finding_detail = "wechat_unknown", None
    except gw.GatewayError as e:
        f.finding, f.finding_detail = "query_failed", f"{type(e).__name__}: {e}"[:200]
    else:
        f.finding = "wechat_paid" if status.is_paid else "wechat_not_paid"
        f.finding_detail = _said(status)


def refund_known_at_wechat(f: Finding) -> bool:
    """One of our refunds the bill lacks: True when WeChat has it (billed on the day it
    processed it, another day); otherwise the finding says what WeChat answered."""
    try:
        result = pay.get_gateway().query_refunds(out_refund_no=f.out_refund_no)
    except gw.OrderNotFound:
        f.finding, f.finding_detail = "wechat_unknown", None
        return False
    except gw.GatewayError as e:
        f.finding, f.finding_detail = "query_failed", f"{type(e).__name__}: {e}"[:200]
        return False
    record = next((r for r in result.refunds if r.out_refund_no == f.out_refund_no), None)
    if record is None:
        f.finding, f.finding_detail = "wechat_unknown", None
        return False
    f.finding, f.finding_detail = "billed_another_day", f"{record.status.value} {record.refund_fee} fen"
    return True


def repair(findings: list[Finding], attempts: dict[str, Attempt], refund_ids: dict[str, int]) -> None:
    """Query WeChat about each finding a query can settle or explain (at most MAX_QUERIES_PER_RUN)."""
    asked = 0
    for f in findings:
        if asked >= MAX_QUERIES_PER_RUN:
            f.finding = f.finding or "not_queried"
            continue
        if f.kind == "payment" and f.outcome == Outcome.MISSING_HERE:
            repair_payment(f, attempts.get(f.out_trade_no or ""))
        elif f.kind == "payment" and f.outcome == Outcome.MISSING_REMOTE:
            check_remote_payment(f)
        elif f.kind == "refund" and f.outcome == Outcome.STATE_MISMATCH and f.our_state == "processing":
            repair_refund(f, refund_ids[f.key])
        else:
            continue
        asked += 1
