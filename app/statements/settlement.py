"""Supplier settlement figures, derived from the ledger: what each supplier earned in a period.

Which entries fall into a period: an entry belongs to the period when its `occurred_at`
is on or after 00:00 Beijing time of the period's first day and before 00:00 Beijing
time of the day after its last day (periods are whole Beijing days; a month by default).
Only these entries count:

- sales: the `charge` entries (at the time the buyer paid: the order charged to the
  company's account), which credit each supplier's payable with its goods, shipping and
  insurance less the platform's commission (the `payment` entry beside each moves the
  money from clearing to the company's account and touches no supplier);
- refunds: the entries reversing a charge (at the time the refund was approved), which
  take money back from each supplier's payable and from the commission;
- WeChat's fees: `wechat_fee` entries (Dr fee expense / Cr clearing, one per trade) and
  `wechat_fee_refund` entries (the fee WeChat gives back on a refund), at the time the
  reconciliation dates them.

Settlement's own entries (`settlement_fee`, `payout`) are never figures of a period: they
settle them. An entry is counted in the one period its time falls in, whenever it was
posted, so a period is settled only once it is over (see `Period.settle_from`).

Per supplier: gross (goods + shipping + insurance the buyers paid for), refunds (the gross
of what went back), commission (charged on sales less what refunds gave back), WeChat's
fees (each trade's fee split among the suppliers of its order in proportion to their gross
in it, a returned fee in proportion to what the refund took from each; exact to the fen by
largest remainder), and payable = gross - refunds - commission - fees. The ledger credits
each supplier net of commission; the order's lines (frozen when it was bought) say what
gross that net came from, and the commission is split so that gross - commission is, to
the fen, what the ledger credited.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app import ledger
from app.core.db import batches
from app.core.money import allocate
from app.extensions import db
from app.ledger.models import JournalEntry, Posting

CHINA = ZoneInfo("Asia/Shanghai")
SALE = "charge"
FEE_KINDS = ("wechat_fee", "wechat_fee_refund")
# A returned fee's key names the refund it came back with: the entry it is split like. A
# trade's fee is split like its order's charge (found by the entry's order).
ANCHORS = {"wechat-fee-refund:": "refund-approved:"}
SUPPLIER = "supplier"


@dataclass(frozen=True)
class Period:
    """Whole days in Beijing time, `first` to `last` inclusive."""

    first: date
    last: date

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls(first, following - timedelta(days=1))

    @classmethod
    def month_before(cls, day: date) -> Period:
        last = day.replace(day=1) - timedelta(days=1)
        return cls.month(last.year, last.month)

    @property
    def is_month(self) -> bool:
        return self.first.day == 1 and self == Period.month(self.first.year, self.first.month)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), CHINA)

    @property
    def end(self) -> datetime:
        """The first moment after the period (exclusive)."""
        return datetime.combine(self.last + timedelta(days=1), time(), CHINA)

    @property
    def settle_from(self) -> datetime:
        """Noon the day after: WeChat's bill of the last day is out by 10:00 and reconciled
        (its fees posted) soon after, so nothing dated inside the period is still to come."""
        return datetime.combine(self.last + timedelta(days=1), time(12), CHINA)

    def overlaps(self, first: date, last: date) -> bool:
        return self.first <= last and first <= self.last

    @property
    def key(self) -> str:
        """A short name for files and event keys: 2026-11, or 2026-11-01_2026-11-15."""
        return f"{self.first:%Y-%m}" if self.is_month else f"{self.first:%Y-%m-%d}_{self.last:%Y-%m-%d}"


@dataclass(frozen=True)
class Row:
    """One line of a supplier's statement; every amount in fen, as it changes the payable."""

    at: datetime
    kind: str                # sale, refund, fee, fee_returned
    order_id: int | None
    order_number: str
    reference: str           # WeChat's transaction id or our refund number
    gross: int = 0
    refunds: int = 0
    commission: int = 0
    fees: int = 0

    @property
    def payable(self) -> int:
        return self.gross - self.refunds - self.commission - self.fees

    def as_json(self) -> list:
        return [self.at.isoformat(), self.kind, self.order_id, self.order_number, self.reference,
                self.gross, self.refunds, self.commission, self.fees]

    @classmethod
    def of_json(cls, item: list) -> Row:
        at, kind, order_id, number, reference, gross, refunds, commission, fees = item
        return cls(datetime.fromisoformat(at), kind, order_id, number, reference, gross, refunds, commission, fees)


@dataclass
class Figures:
    """A supplier's figures for a period: the sums of its rows."""

    supplier_id: int
    rows: list[Row] = field(default_factory=list)

    def _sum(self, name: str) -> int:
        return sum(getattr(r, name) for r in self.rows)

    @property
    def gross(self) -> int:
        return self._sum("gross")

    @property
    def refunds(self) -> int:
        return self._sum("refunds")

    @property
    def commission(self) -> int:
        return self._sum("commission")

    @property
    def fees(self) -> int:
        return self._sum("fees")

    @property
    def payable(self) -> int:
        return self.gross - self.refunds - self.commission - self.fees


# --- splitting one entry among suppliers (pure) -------------------------------------------------

@dataclass(frozen=True)
class Split:
    """What an entry is per supplier: gross and commission (both positive)."""

    gross: dict[int, int]
    commission: dict[int, int]

    def net(self, supplier_id: int) -> int:
        return self.gross.get(supplier_id, 0) - self.commission.get(supplier_id, 0)


def split(total: int, weights: Mapping[int, int | Decimal], fallback: Mapping[int, int | Decimal] = {}) -> dict[int, int]:
    """`total` split over the keys of `weights` in proportion (largest remainder, exact to the
    fen); over `fallback` when every weight is zero; {} when both are (nobody to split to)."""
    for basis in (weights, fallback):
        keys = [k for k in sorted(basis) if basis[k] > 0]
        if keys:
            return dict(zip(keys, allocate(total, [basis[k] for k in keys])))
    return {}


def sale_split(net: Mapping[int, int], commission: int, line_gross: Mapping[int, int]) -> Split:
    """A payment entry per supplier: `net` is what the ledger credited each supplier,
    `commission` the entry's commission credit, `line_gross` each supplier's gross on the
    order's lines. The commission goes to the suppliers whose lines it was charged on."""
    implied = {s: max(line_gross.get(s, 0) - n, 0) for s, n in net.items()}
    cut = split(commission, implied, net)
    return Split({s: n + cut.get(s, 0) for s, n in net.items()}, {s: cut.get(s, 0) for s in net})


def refund_split(taken: Mapping[int, int], commission: int, sale: Split) -> Split:
    """A reversal per supplier: `taken` is what it debited each supplier's payable, and the
    commission it gave back is shared at each supplier's own commission rate in the sale."""
    weights = {s: Decimal(t) * sale.commission.get(s, 0) / sale.net(s) if sale.net(s) > 0 else Decimal(0)
               for s, t in taken.items()}
    back = split(commission, weights, {s: sale.commission.get(s, 0) for s in taken})
    return Split({s: t + back.get(s, 0) for s, t in taken.items()}, {s: back.get(s, 0) for s in taken})


# --- reading the ledger -------------------------------------------------------------------------

def _entries(*where) -> list[JournalEntry]:
    return list(db.session.scalars(select(JournalEntry).where(*where).order_by(JournalEntry.occurred_at, JournalEntry.id)
                                   .options(selectinload(JournalEntry.postings).selectinload(Posting.account))))


def _by_values(column, values: Iterable, *where) -> list[JournalEntry]:
    values = sorted(set(values))
    return [e for chunk in batches(values) for e in _entries(column.in_(chunk), *where)] if values else []


def _net(entry: JournalEntry) -> tuple[dict[int, int], int, int]:
    """(supplier → payable change as credited, commission credited, fee expense) of an entry."""
    suppliers: dict[int, int] = {}
    commission = fees = 0
    for p in entry.postings:
        code = p.account.code
        if code == ledger.SUPPLIER_PAYABLE and p.account.party_type == SUPPLIER:
            suppliers[p.account.party_id] = suppliers.get(p.account.party_id, 0) - p.amount_fen
        elif code == ledger.COMMISSION:
            commission -= p.amount_fen
        elif code == ledger.WECHAT_FEES:
            fees += p.amount_fen
    return suppliers, commission, fees


class _Book:
    """The entries of a period and every entry they lean on, read in a fixed number of queries."""

    def __init__(self, period: Period) -> None:
        self.entries = _entries(JournalEntry.occurred_at >= period.start, JournalEntry.occurred_at < period.end,
                                or_(JournalEntry.kind == SALE, JournalEntry.reverses_id.isnot(None),
                                    JournalEntry.kind.in_(FEE_KINDS)))
        self.by_id = {e.id: e for e in self.entries}
        self.by_key = {e.event_key: e for e in self.entries}
        fees = [e for e in self.entries if e.kind in FEE_KINDS]
        self._add(_by_values(JournalEntry.event_key, {k for e in fees if (k := _anchor_key(e)) not in self.by_key}))
        unanchored = {e.order_id for e in fees if e.order_id and _anchor_key(e) not in self.by_key}
        self.order_sale = {e.order_id: e for e in _by_values(JournalEntry.order_id, unanchored, JournalEntry.kind == SALE)}
        self._add(self.order_sale.values())
        self._add(_by_values(JournalEntry.id, {e.reverses_id for e in list(self.by_id.values())
                                               if e.reverses_id and e.reverses_id not in self.by_id}))
        self.line_gross = _line_gross({e.order_id for e in self.by_id.values() if e.order_id})
        self.numbers = _order_numbers({e.order_id for e in self.by_id.values() if e.order_id})
        # A sale is referred to by the WeChat transaction that paid it (its `payment` entry's key).
        self.trades = _order_trades({e.order_id for e in self.entries if e.kind == SALE and e.order_id})
        self._splits: dict[int, Split] = {}

    def _add(self, entries: Iterable[JournalEntry]) -> None:
        for e in entries:
            self.by_id[e.id], self.by_key[e.event_key] = e, e

    def split_of(self, entry: JournalEntry) -> Split:
        found = self._splits.get(entry.id)
        if found is None:
            suppliers, commission, _ = _net(entry)
            if entry.reverses_id is None:
                found = sale_split(suppliers, commission, self.line_gross.get(entry.order_id, {}))
            else:
                taken = {s: -n for s, n in suppliers.items() if n < 0}
                found = refund_split(taken, -commission, self.split_of(self.by_id[entry.reverses_id]))
            self._splits[entry.id] = found
        return found

    def anchor(self, fee: JournalEntry) -> JournalEntry | None:
        return self.by_key.get(_anchor_key(fee)) or self.order_sale.get(fee.order_id)


def _anchor_key(fee: JournalEntry) -> str:
    for prefix, target in ANCHORS.items():
        if fee.event_key.startswith(prefix):
            return target + fee.event_key[len(prefix):]
    return ""


def _line_gross(order_ids: set[int]) -> dict[int, dict[int, int]]:
    from app.orders import OrderLine

    out: dict[int, dict[int, int]] = {}
    for chunk in batches(sorted(order_ids)):
        rows = db.session.execute(
            select(OrderLine.order_id, OrderLine.supplier_id,
                   func.sum(OrderLine.goods_fen + OrderLine.shipping_fen + OrderLine.insurance_fen))
            .where(OrderLine.order_id.in_(chunk)).group_by(OrderLine.order_id, OrderLine.supplier_id))
        for order_id, supplier_id, gross in rows:
            out.setdefault(order_id, {})[supplier_id] = int(gross)
    return out


def _order_numbers(order_ids: set[int]) -> dict[int, str]:
    from app.orders import Order

    out: dict[int, str] = {}
    for chunk in batches(sorted(order_ids)):
        out.update(db.session.execute(select(Order.id, Order.number).where(Order.id.in_(chunk))).all())
    return out


def _order_trades(order_ids: set[int]) -> dict[int, str]:
    """Each order's first WeChat transaction id, as its `payment` entry's key names it."""
    out: dict[int, str] = {}
    for chunk in batches(sorted(order_ids)):
        for order_id, key in db.session.execute(
                select(JournalEntry.order_id, JournalEntry.event_key)
                .where(JournalEntry.order_id.in_(chunk), JournalEntry.kind == "payment").order_by(JournalEntry.id)):
            out.setdefault(order_id, _reference(key))
    return out


def _reference(event_key: str) -> str:
    return event_key.split(":", 1)[1] if ":" in event_key else event_key


def figures(period: Period, supplier_ids: Iterable[int] | None = None) -> dict[int, Figures]:
    """Each supplier's figures for `period` (only `supplier_ids`, when given), from the
    ledger as it stands; suppliers without an entry in the period are left out."""
    wanted = set(supplier_ids) if supplier_ids is not None else None
    book = _Book(period)
    out: dict[int, Figures] = {}

    def add(supplier_id: int, entry: JournalEntry, kind: str, **amounts: int) -> None:
        if wanted is None or supplier_id in wanted:
            number = book.numbers.get(entry.order_id, "") if entry.order_id else ""
            reference = (book.trades.get(entry.order_id, "") if entry.kind == SALE
                         else _reference(entry.event_key))
            out.setdefault(supplier_id, Figures(supplier_id)).rows.append(
                Row(entry.occurred_at.astimezone(CHINA), kind, entry.order_id, number, reference, **amounts))

    for entry in book.entries:
        if entry.kind in FEE_KINDS:
            _, _, fee = _net(entry)
            anchor = book.anchor(entry)
            if anchor is None or not fee:
                continue
            shares = split(fee, book.split_of(anchor).gross)
            for s, share in shares.items():
                add(s, entry, "fee" if share >= 0 else "fee_returned", fees=share)
        elif entry.reverses_id is None:
            sale = book.split_of(entry)
            for s in sale.gross:
                add(s, entry, "sale", gross=sale.gross[s], commission=sale.commission[s])
        else:
            back = book.split_of(entry)
            for s in back.gross:
                add(s, entry, "refund", refunds=back.gross[s], commission=-back.commission[s])
    return out
