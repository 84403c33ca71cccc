"""Posting to the books and reading balances. Entries balance to zero or are refused."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.core.models import utcnow
from app.extensions import db
from app.ledger.models import JournalEntry, LedgerAccount, Posting

# The accounts the portal books to.
CLEARING = "wechat_clearing"          # asset: money WeChat Pay holds for us until it settles
SUPPLIER_PAYABLE = "supplier_payable"  # liability, per supplier: goods, shipping, insurance less commission
TAX_HELD = "customs_tax_held"          # liability: import taxes collected for customs
COMMISSION = "commission_revenue"      # revenue: the platform's commission
REFUNDS_DUE = "refunds_due"           # liability: money received that goes back to the payer


@dataclass(frozen=True)
class Line:
    code: str
    amount_fen: int                    # positive debit, negative credit
    party_type: str = ""
    party_id: int = 0


class Unbalanced(ValueError):
    """An entry whose postings do not add up to zero: a bug in the caller, never posted."""


def _account(code: str, party_type: str, party_id: int) -> LedgerAccount:
    account = db.session.scalar(select(LedgerAccount).where(
        LedgerAccount.code == code, LedgerAccount.party_type == party_type, LedgerAccount.party_id == party_id))
    if account is None:
        account = LedgerAccount(code=code, party_type=party_type, party_id=party_id)
        try:
            with db.session.begin_nested():
                db.session.add(account)
        except IntegrityError:  # another transaction opened it first
            account = db.session.scalar(select(LedgerAccount).where(
                LedgerAccount.code == code, LedgerAccount.party_type == party_type,
                LedgerAccount.party_id == party_id))
    return account


def post(event_key: str, kind: str, lines: Sequence[Line], *, memo: str = "", order_id: int | None = None,
         company_id: int | None = None, at: datetime | None = None) -> JournalEntry:
    """Post one balanced entry for `event_key`, once.

    Posting the same event again returns the entry already there (and nothing more is
    booked). Zero lines are dropped. Raises Unbalanced when the lines do not add up.
    """
    existing = db.session.scalar(select(JournalEntry).where(JournalEntry.event_key == event_key))
    if existing is not None:
        return existing
    lines = [line for line in lines if line.amount_fen]
    if sum(line.amount_fen for line in lines) != 0:
        raise Unbalanced(f"{event_key}: postings add up to {sum(line.amount_fen for line in lines)}, not 0")
    entry = JournalEntry(event_key=event_key, kind=kind, memo=memo[:200], order_id=order_id,
                         company_id=company_id, occurred_at=at or utcnow())
    accounts = [_account(line.code, line.party_type, line.party_id) for line in lines]
    try:
        with db.session.begin_nested():
            db.session.add(entry)
            db.session.flush()
            db.session.add_all(Posting(entry_id=entry.id, account_id=a.id, amount_fen=line.amount_fen)
                               for a, line in zip(accounts, lines))
    except IntegrityError:  # the same event posted by a concurrent transaction first
        return db.session.scalar(select(JournalEntry).where(JournalEntry.event_key == event_key))
    return entry


def balance(code: str, party_type: str = "", party_id: int | None = None) -> int:
    """The balance of an account (of every party's when `party_id` is None), in fen."""
    stmt = (select(func.coalesce(func.sum(Posting.amount_fen), 0)).join(LedgerAccount)
            .where(LedgerAccount.code == code))
    if party_id is not None:
        stmt = stmt.where(LedgerAccount.party_type == party_type, LedgerAccount.party_id == party_id)
    return int(db.session.scalar(stmt) or 0)


def balances() -> dict[tuple[str, str, int], int]:
    """Every account's balance: (code, party type, party id) → fen."""
    rows = db.session.execute(
        select(LedgerAccount.code, LedgerAccount.party_type, LedgerAccount.party_id,
               func.coalesce(func.sum(Posting.amount_fen), 0))
        .join(Posting, Posting.account_id == LedgerAccount.id, isouter=True)
        .group_by(LedgerAccount.id))
    return {(c, t, p): int(b) for c, t, p, b in rows}


def entries_for_order(order_id: int) -> list[JournalEntry]:
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(
        select(JournalEntry).where(JournalEntry.order_id == order_id)
        .options(selectinload(JournalEntry.postings).selectinload(Posting.account)).order_by(JournalEntry.id)))


def trial_balance() -> int:
    """The sum of every posting: zero unless the books are broken."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Posting.amount_fen), 0))) or 0)


def lines(pairs: Iterable[tuple[str, int]]) -> list[Line]:
    return [Line(code, amount) for code, amount in pairs]
