"""What the ledger pages read: every account's balance per party (one grouped query), and an
account's postings with their entries, newest first, a page at a time by keyset."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from app import ledger
from app.catalog.models import Supplier
from app.core import paging
from app.extensions import db
from app.ledger.models import JournalEntry, LedgerAccount, Posting
from app.orders import Order
from app.statements.reconciliation_records import day_bounds

ACCOUNTS_PAGE = 100
POSTINGS_PAGE = 50
EXPORT_LIMIT = 100_000
# The books' accounts in the order a balance sheet reads them; any other code follows.
ORDER = (ledger.CLEARING, ledger.BANK, ledger.REFUNDS_DUE, ledger.SUPPLIER_PAYABLE, ledger.TAX_HELD,
         ledger.COMMISSION, ledger.WECHAT_FEES)


@dataclass(frozen=True)
class AccountRow:
    id: int
    code: str
    party_type: str
    party_id: int
    party_name: str | None
    balance_fen: int
    postings: int

    @property
    def party(self) -> str:
        """Whom the account is kept for: a supplier's name, else its kind and number ("" for none)."""
        return self.party_name or (f"{self.party_type} {self.party_id}" if self.party_type else "")


@dataclass(frozen=True)
class CodeTotal:
    code: str
    balance_fen: int
    accounts: int


def _rank(code: str) -> int:
    return ORDER.index(code) if code in ORDER else len(ORDER)


def _accounts(where=None) -> list[AccountRow]:
    stmt = (select(LedgerAccount.id, LedgerAccount.code, LedgerAccount.party_type, LedgerAccount.party_id,
                   func.coalesce(func.sum(Posting.amount_fen), 0), func.count(Posting.id))
            .join(Posting, Posting.account_id == LedgerAccount.id, isouter=True).group_by(LedgerAccount.id))
    rows = db.session.execute(stmt if where is None else stmt.where(where)).all()
    suppliers = {r[3] for r in rows if r[2] == "supplier"}
    names = dict(db.session.execute(select(Supplier.id, Supplier.name).where(Supplier.id.in_(suppliers))).all()) \
        if suppliers else {}
    return [AccountRow(i, code, kind, party, names.get(party) if kind == "supplier" else None, int(total), n)
            for i, code, kind, party, total, n in rows]


def _keys(rows: Sequence[AccountRow]) -> list[tuple[int, int, int, int]]:
    """Sort keys (whole numbers, as page cursors need): a balance sheet's order of codes, a
    code's accounts together, each by party."""
    first: dict[str, int] = {}
    for row in rows:
        first[row.code] = min(first.get(row.code, row.id), row.id)
    return [(_rank(r.code), first[r.code], r.party_id, r.id) for r in rows]


def balances() -> list[AccountRow]:
    """Every account (each party's its own), sorted as a balance sheet reads: two queries."""
    rows = _accounts()
    return [row for _key, row in sorted(zip(_keys(rows), rows), key=lambda pair: pair[0])]


def account(account_id: int) -> AccountRow | None:
    """One account with its balance and posting count (all time)."""
    found = _accounts(LedgerAccount.id == account_id)
    return found[0] if found else None


def totals(rows: Sequence[AccountRow]) -> list[CodeTotal]:
    """Each account code's balance over all its parties, in the same order."""
    sums: dict[str, list[int]] = {}
    for row in rows:
        entry = sums.setdefault(row.code, [0, 0])
        entry[0] += row.balance_fen
        entry[1] += 1
    return [CodeTotal(code, total, n) for code, (total, n) in sums.items()]


def balances_page(rows: Sequence[AccountRow], cursor: str | None) -> paging.Window[AccountRow]:
    keys = _keys(rows)
    after = paging.decode(cursor, "accounts") if cursor else None
    return paging.window(rows, keys, "accounts", after, ACCOUNTS_PAGE)


@dataclass(frozen=True)
class PostingRow:
    id: int
    amount_fen: int
    occurred_at: datetime
    kind: str
    event_key: str
    memo: str
    order_number: str | None
    company_id: int | None


def _postings(account_id: int, start: date | None, end: date | None):
    stmt = (select(Posting.id, Posting.amount_fen, JournalEntry.occurred_at, JournalEntry.kind, JournalEntry.event_key,
                   JournalEntry.memo, Order.number, JournalEntry.company_id)
            .join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .outerjoin(Order, Order.id == JournalEntry.order_id)
            .where(Posting.account_id == account_id).order_by(Posting.id.desc()))
    if start is not None:
        stmt = stmt.where(JournalEntry.occurred_at >= day_bounds(start)[0])
    if end is not None:
        stmt = stmt.where(JournalEntry.occurred_at < day_bounds(end)[1])
    return stmt


def postings_page(account_id: int, start: date | None, end: date | None, before: int | None
                  ) -> tuple[list[PostingRow], int | None]:
    """A page of the account's postings (newest first) in [start, end], and the next page's cursor."""
    stmt = _postings(account_id, start, end).limit(POSTINGS_PAGE + 1)
    if before is not None:
        stmt = stmt.where(Posting.id < before)
    found = [PostingRow(*row) for row in db.session.execute(stmt)]
    return found[:POSTINGS_PAGE], (found[POSTINGS_PAGE - 1].id if len(found) > POSTINGS_PAGE else None)


def all_postings(account_id: int, start: date | None, end: date | None) -> Iterator[PostingRow]:
    for row in db.session.execute(_postings(account_id, start, end).limit(EXPORT_LIMIT)):
        yield PostingRow(*row)
