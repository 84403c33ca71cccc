"""Our side of a bill day, read for matching: payments and refunds as plain rows (no ORM
objects, since a day can hold a hundred thousand), each with the order it belongs to.

A payment belongs to the day WeChat says it was paid (its time_end, which is what the bill
goes by). A refund belongs to the day WeChat accepted it; we know when we learnt that (the
refund went to processing), which is the same day unless it was near midnight.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, select

from app.core.audit import AuditEntry
from app.core.db import batches
from app.extensions import db
from app.orders import Order
from app.payments import Attempt, Charge, Payment, Refund, RefundStatus
from app.payments.gateway import BEIJING
from app.statements.reconciliation_match import OurPayment, OurRefund

ORDER_OWNER = "order"   # the owner type orders register their charges under


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The Beijing calendar day as [start, end) aware datetimes."""
    start = datetime.combine(day, time(0), BEIJING)
    return start, start + timedelta(days=1)


def _order_join(stmt):
    return stmt.outerjoin(Order, and_(Charge.owner_type == ORDER_OWNER, Order.id == Charge.owner_id))


def _payments_select():
    return _order_join(
        select(Payment.transaction_id, Attempt.out_trade_no, Payment.total_fee, Payment.settlement_total_fee,
               Order.id, Order.company_id, Payment.paid_at)
        .join(Attempt, Attempt.id == Payment.attempt_id).join(Charge, Charge.id == Payment.charge_id))


def _payment(row) -> OurPayment:
    tid, out_trade_no, total, settlement, order_id, company_id, paid_at = row
    return OurPayment(tid, out_trade_no, total, total if settlement is None else settlement, order_id, company_id,
                      paid_at)


def payments_of_day(day: date) -> dict[str, OurPayment]:
    """Our payments WeChat says were paid on `day`, by transaction id."""
    start, end = day_bounds(day)
    rows = db.session.execute(_payments_select().where(Payment.paid_at >= start, Payment.paid_at < end))
    return {row[0]: _payment(row) for row in rows}


def payments_by_id(transaction_ids: Iterable[str]) -> dict[str, OurPayment]:
    """Our payments with these transaction ids (paid on another day by our records, say)."""
    found: dict[str, OurPayment] = {}
    for part in batches(sorted(set(transaction_ids))):
        rows = db.session.execute(_payments_select().where(Payment.transaction_id.in_(part)))
        found.update((row[0], _payment(row)) for row in rows)
    return found


def _refunds_select():
    return _order_join(
        select(Refund.id, Refund.out_refund_no, Refund.refund_id, Refund.amount_fen, Refund.status,
               Attempt.out_trade_no, Order.id, Order.company_id)
        .join(Payment, Payment.id == Refund.payment_id).join(Attempt, Attempt.id == Payment.attempt_id)
        .join(Charge, Charge.id == Refund.charge_id))


def _refund(row) -> OurRefund:
    ident, number, refund_id, amount, status, out_trade_no, order_id, company_id = row
    return OurRefund(ident, number, refund_id, amount, RefundStatus(status).value, out_trade_no, order_id, company_id)


def refunds_by_number(numbers: Iterable[str]) -> dict[str, OurRefund]:
    """Our refunds with these out_refund_no, whatever day they were made."""
    found: dict[str, OurRefund] = {}
    for part in batches(sorted(set(numbers))):
        found.update((row[1], _refund(row)) for row in db.session.execute(
            _refunds_select().where(Refund.out_refund_no.in_(part))))
    return found


def refunds_accepted_on(day: date) -> list[OurRefund]:
    """Our refunds WeChat accepted on `day` (they went to processing then) and still under that
    number: what the day's bill should hold."""
    start, end = day_bounds(day)
    accepted = (select(AuditEntry.subject_id).where(
        AuditEntry.subject_type == Refund.__tablename__, AuditEntry.action == "state",
        AuditEntry.to_state == RefundStatus.PROCESSING.value, AuditEntry.at >= start, AuditEntry.at < end))
    rows = db.session.execute(_refunds_select().where(Refund.id.in_(accepted), Refund.refund_id.is_not(None))
                              .order_by(Refund.id))
    return [_refund(row) for row in rows]


def attempts_by_number(numbers: Iterable[str]) -> dict[str, Attempt]:
    """Our attempts (out_trade_no) among `numbers`: a payment WeChat has and we miss is one of these."""
    found: dict[str, Attempt] = {}
    for part in batches(sorted(set(numbers))):
        found.update((a.out_trade_no, a) for a in db.session.scalars(
            select(Attempt).where(Attempt.out_trade_no.in_(part))))
    return found
