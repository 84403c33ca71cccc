"""Posting to the books and reading balances. Entries balance to zero or are refused."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.core.models import utcnow
from app.extensions import db
from app.ledger.models import JournalEntry, LedgerAccount, Posting

# The accounts the portal books to.
CLEARING = "wechat_clearing"          # asset: money WeChat Pay holds for us until it settles
SUPPLIER_PAYABLE = "supplier_payable"  # liability, per supplier: goods, shipping, insurance less commission
TAX_HELD = "customs_tax_held"          # liability: import taxes collected for customs
COMMISSION = "commission_revenue"      # revenue: the platform's commission
REFUNDS_DUE = "refunds_due"           # liability: money going back to a payer whose charge was booked before CUSTOMER existed
WECHAT_FEES = "wechat_fee_expense"    # expense: WeChat Pay's fee per trade (less the fee returned on refunds)
BANK = "bank"                          # asset: the platform's bank account (WeChat settles to it, payouts leave it)
# Asset, one per buyer company (party "company"): a debit balance is what the company owes
# for orders charged and not yet paid, a credit balance what it is owed back (a refund
# promised and not yet sent, a payment made twice). A statement is this account's history.
CUSTOMER = "customer"
COMPANY = "company"
# TAX_HELD is kept per tax (its party type names it), so that each tax can be totalled.
TAX_KINDS = ("vat", "consumption_tax", "tariff")


@dataclass(frozen=True)
class Line:
    code: str
    amount_fen: int                    # positive debit, negative credit
    party_type: str = ""
    party_id: int = 0


def customer(company_id: int, amount_fen: int) -> Line:
    """A posting to a buyer company's own account (positive: it owes more)."""
    return Line(CUSTOMER, amount_fen, COMPANY, company_id)


class Unbalanced(ValueError):
    """An entry whose postings do not add up to zero: a bug in the caller, never posted."""


def _accounts(keys: list[tuple[str, str, int]]) -> dict[tuple[str, str, int], int]:
    """The ids of the accounts `keys` name, opening those that do not exist yet: one query
    to find them, and one ON CONFLICT insert per missing account (rare: once per supplier)."""
    from sqlalchemy import tuple_

    from app.core.jobs import insert_once

    found = {(c, t, p): i for i, c, t, p in db.session.execute(
        select(LedgerAccount.id, LedgerAccount.code, LedgerAccount.party_type, LedgerAccount.party_id)
        .where(tuple_(LedgerAccount.code, LedgerAccount.party_type, LedgerAccount.party_id).in_(keys)))}
    for key in keys:
        if key not in found:
            code, party_type, party_id = key
            new = _insert_account(code, party_type, party_id)
            found[key] = new if new is not None else db.session.scalar(select(LedgerAccount.id).where(
                LedgerAccount.code == code, LedgerAccount.party_type == party_type, LedgerAccount.party_id == party_id))
    return found


def _insert_account(code: str, party_type: str, party_id: int) -> int | None:
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = (insert(LedgerAccount).values(code=code, party_type=party_type, party_id=party_id)
            .on_conflict_do_nothing(index_elements=["code", "party_type", "party_id"]).returning(LedgerAccount.id))
    return db.session.execute(stmt).scalar()


def post(event_key: str, kind: str, lines: Sequence[Line], *, memo: str = "", order_id: int | None = None,
         company_id: int | None = None, at: datetime | None = None, reverses: JournalEntry | None = None) -> int:
    """Post one balanced entry for `event_key`, once; returns the entry's id.

    `reverses` names the entry this one takes money back out of (see `reversal`).

    Posting the same event again returns the entry already there (and nothing more is
    booked), also when a concurrent transaction posts it at the same moment. Zero lines
    are dropped. Raises Unbalanced when the lines do not add up.
    """
    from sqlalchemy import insert

    from app.core.jobs import insert_once

    lines = [line for line in lines if line.amount_fen]
    if sum(line.amount_fen for line in lines) != 0:
        raise Unbalanced(f"{event_key}: postings add up to {sum(line.amount_fen for line in lines)}, not 0")
    now = utcnow()
    entry_id = insert_once(JournalEntry, {"event_key": event_key, "kind": kind, "memo": memo[:200],
                                          "order_id": order_id, "company_id": company_id, "currency": "CNY",
                                          "reverses_id": reverses.id if reverses is not None else None,
                                          "occurred_at": at or now, "created_at": now}, "event_key")
    if entry_id is None:
        return db.session.scalar(select(JournalEntry.id).where(JournalEntry.event_key == event_key))
    ids = _accounts(list(dict.fromkeys((line.code, line.party_type, line.party_id) for line in lines)))
    db.session.execute(insert(Posting), [{"entry_id": entry_id, "account_id": ids[(l.code, l.party_type, l.party_id)],
                                          "amount_fen": l.amount_fen} for l in lines])
    return entry_id


@dataclass(frozen=True)
class Entry:
    """One entry for `post_many`: what `post` takes for one."""

    event_key: str
    kind: str
    lines: Sequence[Line]
    memo: str = ""
    order_id: int | None = None
    company_id: int | None = None
    at: datetime | None = None


def post_many(entries: Sequence[Entry]) -> int:
    """Post many balanced entries, each once by its event key, as `post` does one at a time;
    returns how many were new.

    For a day's worth of entries (a fee per trade): a few statements per thousand entries
    instead of three per entry. Entries posted before, here or by a concurrent
    transaction, are left as they are. Raises Unbalanced, posting nothing, when any
    entry's lines do not add up.
    """
    for e in entries:
        if sum(line.amount_fen for line in e.lines) != 0:
            raise Unbalanced(f"{e.event_key}: postings add up to {sum(l.amount_fen for l in e.lines)}, not 0")
    unique = list({e.event_key: e for e in entries}.values())
    if not unique:
        return 0
    accounts = _accounts(list(dict.fromkeys((l.code, l.party_type, l.party_id) for e in unique for l in e.lines
                                            if l.amount_fen)))
    now = utcnow()
    rows = [{"event_key": e.event_key, "kind": e.kind, "memo": e.memo[:200], "order_id": e.order_id,
             "company_id": e.company_id, "currency": "CNY", "occurred_at": e.at or now, "created_at": now}
            for e in unique]
    ids = _insert_many(JournalEntry, rows, returning="event_key", conflict="event_key")
    postings = [{"entry_id": ids[e.event_key], "account_id": accounts[(l.code, l.party_type, l.party_id)],
                 "amount_fen": l.amount_fen} for e in unique if e.event_key in ids for l in e.lines if l.amount_fen]
    _insert_many(Posting, postings)
    return len(ids)


def _insert_many(model, rows: list[dict], *, returning: str | None = None, conflict: str | None = None
                 ) -> dict[str, int]:
    """INSERT `rows` (skipping those whose `conflict` column is taken); {row[returning]: new id}.

    On PostgreSQL the rows travel as one array per column, unnested by the server: one short
    statement however many rows, where a VALUES list of thousands costs seconds to compile
    and send. Elsewhere (SQLite in development) an ordinary many-row insert.
    """
    if not rows:
        return {}
    columns = list(rows[0])
    table = model.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import bindparam, func
        from sqlalchemy.dialects.postgresql import ARRAY, insert

        arrays = [bindparam(f"a_{c}", [r[c] for r in rows], type_=ARRAY(table.c[c].type)) for c in columns]
        source = func.unnest(*arrays).table_valued(*columns).render_derived()
        stmt = insert(model).from_select(columns, select(*source.c))
        params = None
    else:
        from sqlalchemy.dialects.sqlite import insert

        stmt, params = insert(model), rows
    if conflict:
        stmt = stmt.on_conflict_do_nothing(index_elements=[conflict])
    if returning is None:
        db.session.execute(stmt, params)
        return {}
    return dict(db.session.execute(stmt.returning(table.c[returning], table.c.id), params).all())


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


def entry(event_key: str) -> JournalEntry | None:
    return db.session.scalar(select(JournalEntry).where(JournalEntry.event_key == event_key))


def reversal(original: JournalEntry, amount_fen: int, against: str,
             basis: Sequence[Line] = (), *, party: tuple[str, int] = ("", 0)) -> list[Line]:
    """Lines that take `amount_fen` back out of what `original` credited; post them with
    ``reverses=original``.

    Each party the original credited (a supplier's payable, the commission, the taxes) is
    debited a share of what it is still owed of it: its credit less what earlier reversals
    took. So refunds that add up to the whole leave every party at exactly zero, and none
    is ever reversed past its credit. `basis` (credit lines as they were booked for a part
    of the original, such as one order line) says whom to take it from first; what the
    basis does not cover is spread over everything still owed, in proportion (largest
    remainder). `against` (of `party`) is credited the whole: the money is now owed to
    someone else.
    """
    from app.core.money import allocate

    left = {key: -amount for key, amount in _credits(original).items()}
    for key, taken in _reversed(original).items():
        if key in left:
            left[key] -= taken
    if amount_fen > sum(left.values()):
        raise Unbalanced(f"{original.event_key}: {amount_fen} is more than is left to reverse")
    take = dict.fromkeys(left, 0)
    first = {}
    for line in basis:
        key = (line.code, line.party_type, line.party_id)
        if key in left:
            first[key] = first.get(key, 0) + -line.amount_fen
    capped = {key: min(owed, left[key]) for key, owed in first.items()}
    if capped and sum(capped.values()) >= amount_fen:
        for key, share in zip(capped, allocate(amount_fen, list(capped.values()))):
            take[key] = share
    else:
        take.update(capped)
    rest = amount_fen - sum(take.values())
    if rest:
        keys = list(left)
        for key, share in zip(keys, allocate(rest, [left[k] - take[k] for k in keys])):
            take[key] += share
    lines = [Line(code, share, party_type, party_id) for (code, party_type, party_id), share in take.items()]
    return lines + [Line(against, -amount_fen, *party)]


def _credits(entry: JournalEntry) -> dict[tuple[str, str, int], int]:
    out: dict[tuple[str, str, int], int] = {}
    for p in entry.postings:
        if p.amount_fen < 0:
            key = (p.account.code, p.account.party_type, p.account.party_id)
            out[key] = out.get(key, 0) + p.amount_fen
    return out


def _reversed(original: JournalEntry) -> dict[tuple[str, str, int], int]:
    """What the entries reversing `original` have debited so far, per account."""
    rows = db.session.execute(
        select(LedgerAccount.code, LedgerAccount.party_type, LedgerAccount.party_id, func.sum(Posting.amount_fen))
        .join(Posting, Posting.account_id == LedgerAccount.id).join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(JournalEntry.reverses_id == original.id, Posting.amount_fen > 0)
        .group_by(LedgerAccount.id))
    return {(c, t, p): int(amount) for c, t, p, amount in rows}


def trial_balance() -> int:
    """The sum of every posting: zero unless the books are broken."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Posting.amount_fen), 0))) or 0)


def lines(pairs: Iterable[tuple[str, int]]) -> list[Line]:
    return [Line(code, amount) for code, amount in pairs]
