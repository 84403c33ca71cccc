"""A buyer company's statement, read from the ledger and nothing else.

The company's own account (ledger.CUSTOMER, party "company") is debited with every order
charged to it and credited with every payment, every refund promised and every other
credit; its balance is what the company owes (positive) or is owed back (negative).
A statement of a period (Beijing days) is that account's balance before the period, each
of its postings in the period with the running balance, and the balance after it. The
taxes of each line come from the same journal entry's postings to the customs tax held
(VAT, consumption tax, tariff), so every figure on the statement, and every total, adds
up to what the ledger says for the company and the period.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select

from app import ledger
from app.extensions import db
from app.ledger import JournalEntry, LedgerAccount, Posting
from app.orders import Order

CHINA = ZoneInfo("Asia/Shanghai")

# How the ledger's entries read on a statement.
LINE_KINDS = {"charge": "order", "payment": "payment", "extra_payment": "payment",
              "refund_approved": "credit", "refund": "refund"}
KINDS = ("order", "payment", "credit", "refund", "adjustment")


@dataclass(frozen=True)
class Period:
    """Beijing calendar days from `start` to `end`, both included."""

    start: date
    end: date

    @classmethod
    def month_of(cls, day: date) -> Period:
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return cls(first, following - timedelta(days=1))

    def bounds(self) -> tuple[datetime, datetime]:
        """The instants the period starts and ends at (the end excluded)."""
        return (datetime.combine(self.start, time(), CHINA),
                datetime.combine(self.end + timedelta(days=1), time(), CHINA))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Line:
    at: datetime
    kind: str                   # one of KINDS
    reference: str              # what the buyer knows it by: order number, WeChat transaction, refund number
    order_number: str | None
    amount_fen: int             # positive: the company owes more; negative: paid or credited
    balance_fen: int            # the account after this line
    taxes: tuple[int, int, int]  # VAT, consumption tax, tariff in this line (negative when given back)
    memo: str = ""


@dataclass(frozen=True)
class Totals:
    charged_fen: int = 0        # orders
    paid_fen: int = 0           # payments received (positive)
    credited_fen: int = 0       # refunds promised (positive)
    refunded_fen: int = 0       # refunds paid back (positive)
    adjusted_fen: int = 0       # anything else, signed as the account sees it
    vat_fen: int = 0
    consumption_tax_fen: int = 0
    tariff_fen: int = 0


@dataclass(frozen=True)
class StatementData:
    company_id: int
    period: Period
    opening_fen: int
    lines: list[Line] = field(default_factory=list)
    totals: Totals = Totals()

    @property
    def closing_fen(self) -> int:
        return self.lines[-1].balance_fen if self.lines else self.opening_fen

    @property
    def debits_fen(self) -> int:
        """Everything the period added to what the company owes."""
        return sum(line.amount_fen for line in self.lines if line.amount_fen > 0)

    @property
    def credits_fen(self) -> int:
        """Everything the period took off it (payments, credits), as a positive amount."""
        return -sum(line.amount_fen for line in self.lines if line.amount_fen < 0)


def _account_id(company_id: int) -> int | None:
    return db.session.scalar(select(LedgerAccount.id).where(
        LedgerAccount.code == ledger.CUSTOMER, LedgerAccount.party_type == ledger.COMPANY,
        LedgerAccount.party_id == company_id))


def _reference(kind: str, event_key: str, order_number: str | None) -> str:
    if kind == "order":
        return order_number or event_key
    # A payment's or a refund's event is named by its number at WeChat Pay.
    return event_key.partition(":")[2] or event_key


def _taxes(account_id: int, start: datetime, end: datetime) -> dict[int, tuple[int, int, int]]:
    """Per journal entry touching the account in the period: the taxes it charged (positive)
    or gave back (negative), from its postings to the tax held, by kind."""
    mine = (select(Posting.entry_id).join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .where(Posting.account_id == account_id, JournalEntry.occurred_at >= start,
                   JournalEntry.occurred_at < end))
    rows = db.session.execute(
        select(Posting.entry_id, LedgerAccount.party_type, func.sum(Posting.amount_fen))
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(LedgerAccount.code == ledger.TAX_HELD, Posting.entry_id.in_(mine))
        .group_by(Posting.entry_id, LedgerAccount.party_type))
    found: dict[int, list[int]] = {}
    for entry_id, kind, amount in rows:
        if kind in ledger.TAX_KINDS:
            found.setdefault(entry_id, [0, 0, 0])[ledger.TAX_KINDS.index(kind)] -= int(amount)
    return {k: (v[0], v[1], v[2]) for k, v in found.items()}


def read(company_id: int, period: Period) -> StatementData:
    """The company's statement for `period`, as the ledger stands now (four queries)."""
    account_id = _account_id(company_id)
    if account_id is None:
        return StatementData(company_id, period, 0)
    start, end = period.bounds()
    opening = int(db.session.scalar(
        select(func.coalesce(func.sum(Posting.amount_fen), 0)).join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Posting.account_id == account_id, JournalEntry.occurred_at < start)) or 0)
    rows = db.session.execute(
        select(Posting.amount_fen, JournalEntry.id, JournalEntry.kind, JournalEntry.event_key, JournalEntry.memo,
               JournalEntry.occurred_at, Order.number)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .outerjoin(Order, and_(Order.id == JournalEntry.order_id, Order.company_id == company_id))
        .where(Posting.account_id == account_id, JournalEntry.occurred_at >= start, JournalEntry.occurred_at < end)
        .order_by(JournalEntry.occurred_at, JournalEntry.id, Posting.id)).all()
    taxes = _taxes(account_id, start, end) if rows else {}
    return assemble(company_id, period, opening, rows, taxes)


def assemble(company_id: int, period: Period, opening: int, rows: Sequence, taxes: dict) -> StatementData:
    """Lines with their running balance, and the totals, from the ledger's rows."""
    balance = opening
    lines: list[Line] = []
    sums = dict.fromkeys(KINDS, 0)
    tax_sums = [0, 0, 0]
    seen: set[int] = set()
    for amount, entry_id, entry_kind, event_key, memo, at, order_number in rows:
        kind = LINE_KINDS.get(entry_kind, "adjustment")
        amount = int(amount)
        balance += amount
        line_taxes = taxes.get(entry_id, (0, 0, 0)) if entry_id not in seen else (0, 0, 0)
        seen.add(entry_id)
        lines.append(Line(at, kind, _reference(kind, event_key, order_number), order_number, amount, balance,
                          line_taxes, memo if kind == "adjustment" else ""))
        sums[kind] += amount
        tax_sums = [a + b for a, b in zip(tax_sums, line_taxes)]
    totals = Totals(charged_fen=sums["order"], paid_fen=-sums["payment"], credited_fen=-sums["credit"],
                    refunded_fen=sums["refund"], adjusted_fen=sums["adjustment"], vat_fen=tax_sums[0],
                    consumption_tax_fen=tax_sums[1], tariff_fen=tax_sums[2])
    return StatementData(company_id, period, opening, lines, totals)


def active_companies(period: Period) -> list[int]:
    """Companies whose account moved in `period`, or had a balance when it began: those
    that get a monthly statement (one query)."""
    start, end = period.bounds()
    moved = func.count(Posting.id).filter(JournalEntry.occurred_at >= start)
    before = func.coalesce(func.sum(Posting.amount_fen).filter(JournalEntry.occurred_at < start), 0)
    rows = db.session.execute(
        select(LedgerAccount.party_id)
        .join(Posting, Posting.account_id == LedgerAccount.id).join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(LedgerAccount.code == ledger.CUSTOMER, LedgerAccount.party_type == ledger.COMPANY,
               JournalEntry.occurred_at < end)
        .group_by(LedgerAccount.party_id).having((moved > 0) | (before != 0)).order_by(LedgerAccount.party_id))
    return [party_id for (party_id,) in rows]
