"""What the statement tests share: orders paid and refunded at chosen Beijing times through
the payments' own apply and refund functions, a big history booked straight to the ledger,
the ledger's own sums for a company and a period (read without the statements' code), and
running a statement's job as the worker does."""
from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from app import ledger
from app.core import jobs, states
from app.core.jobs import Intent
from app.extensions import db
from app.ledger import JournalEntry, LedgerAccount, Posting
from app.orders import services as orders
from app.payments import Attempt, TradeType
from app.payments import refunds as money_back
from app.payments import services as pay
from app.payments.gateway import RefundState
from app.payments.models import REFUND_MACHINE, RefundStatus
from app.statements.statement_models import Statement
from app.statements.statements import CHINA, Period

_serial = itertools.count(1)


def beijing(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), CHINA)


def month_before_last() -> Period:
    """A whole month safely in the past, with the month after it also past."""
    today = datetime.now(CHINA).date()
    return Period.month_of(today.replace(day=1) - timedelta(days=40))


def next_month(period: Period) -> Period:
    return Period.month_of(period.end + timedelta(days=1))


def paid_order(buyer: Any, lines: list[tuple[int, int]], paid_at: datetime):
    """An order of `lines` for the buyer's company, paid at `paid_at` as WeChat's notify says."""
    order = orders.create(buyer, buyer.company_id, lines, now=paid_at - timedelta(minutes=3))
    charge = orders.charge_of(order)
    attempt = Attempt(charge_id=charge.id, out_trade_no=f"{charge.number}N1", trade_type=TradeType.NATIVE)
    db.session.add(attempt)
    db.session.flush()
    transaction = f"4200000001{paid_at:%Y%m%d}{next(_serial):010d}"
    outcome = pay.apply(pay.Result(attempt.out_trade_no, transaction, charge.amount_fen, charge.amount_fen, 0, None,
                                   "CNY", "NATIVE", "CMC", "o-test", paid_at, {}), "notify", now=paid_at)
    assert outcome == "applied"
    return order


def refund(order: Any, amount_fen: int, *, approved_at: datetime, settled_at: datetime | None, actor_id: int):
    """A refund of `amount_fen` of the order, approved and (when `settled_at`) confirmed by WeChat."""
    from app.orders import aftersale

    asked = aftersale.request_refund(order, reason="破损", requested_by_id=actor_id, amount_fen=amount_fen)
    money_back.approve(asked.id, actor_id=actor_id, now=approved_at)
    if settled_at is not None:
        states.apply(REFUND_MACHINE, asked, RefundStatus.PROCESSING, at=approved_at)
        money_back.settle(asked, RefundState.SUCCESS, settled_at, "招商银行信用卡0001")
    return asked


def book_history(company_id: int, pairs: int, first: datetime) -> list[str]:
    """`pairs` orders charged and paid a minute apart, booked straight to the ledger as the
    orders domain books them (for statements of hundreds of lines); their references."""
    references = []
    for n in range(pairs):
        at = first + timedelta(minutes=n)
        number = f"KJ{first:%y%m%d}{n:06d}"
        charge = [ledger.customer(company_id, 10_000 + n), ledger.Line(ledger.SUPPLIER_PAYABLE, -9_000, "supplier", 1),
                  ledger.Line(ledger.COMMISSION, -(1_000 + n - 910)), ledger.Line(ledger.TAX_HELD, -910, "vat")]
        ledger.post(f"charge:test-{company_id}-{number}", "charge", charge, company_id=company_id, at=at)
        transaction = f"4200000002{first:%Y%m%d}{n:010d}"
        ledger.post(f"payment:{transaction}", "payment",
                    [ledger.Line(ledger.CLEARING, 10_000 + n), ledger.customer(company_id, -(10_000 + n))],
                    company_id=company_id, at=at)
        references.append(transaction)
    return references


def account_sum(company_id: int, *, before: datetime | None = None, start: datetime | None = None,
                end: datetime | None = None) -> int:
    """The company's account in the ledger, summed over postings in a window (plain SQL)."""
    stmt = (select(func.coalesce(func.sum(Posting.amount_fen), 0))
            .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
            .join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .where(LedgerAccount.code == ledger.CUSTOMER, LedgerAccount.party_type == ledger.COMPANY,
                   LedgerAccount.party_id == company_id))
    if before is not None:
        stmt = stmt.where(JournalEntry.occurred_at < before)
    if start is not None:
        stmt = stmt.where(JournalEntry.occurred_at >= start, JournalEntry.occurred_at < end)
    return int(db.session.scalar(stmt))


def taxes_held(company_id: int, period: Period) -> dict[str, int]:
    """Each tax the company's entries of the period credited to customs (net of refunds)."""
    start, end = period.bounds()
    rows = db.session.execute(
        select(LedgerAccount.party_type, func.sum(Posting.amount_fen))
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(LedgerAccount.code == ledger.TAX_HELD, JournalEntry.company_id == company_id,
               JournalEntry.occurred_at >= start, JournalEntry.occurred_at < end)
        .group_by(LedgerAccount.party_type))
    return {kind: -int(amount) for kind, amount in rows}


def run_build(statement: Statement) -> str:
    """Run the statement's promised job as a worker would (the intent the request wrote)."""
    intent = db.session.scalar(select(Intent).where(Intent.key == f"statement:{statement.id}"))
    assert intent is not None, "asking for a statement promises its job"
    outcome = jobs.run(intent.id)
    db.session.expire_all()
    return outcome
