"""Confirming a supplier's settlement of a period, and what the settlement pages show.

Confirming freezes the period's figures (settlement.figures) with the statement's lines,
recharges the supplier's share of WeChat's fees to its payable in the ledger, takes in
what earlier settlements left unpaid (a negative period, or one never put in a batch),
and has the statement's PDF and CSV made after the commit. A supplier's confirmations
queue on a lock of its row, so two at once cannot both carry the same earlier settlement.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from app import ledger
from app.core import audit, states
from app.core.errors import Conflict, DomainError, NotFound
from app.core.jobs import after_commit
from app.core.models import utcnow
from app.extensions import db
from app.statements.settlement import Figures, Period, Row, figures
from app.statements.settlement_models import (SETTLEMENT_MACHINE, PayoutBatch, PayoutLine, Settlement,
                                              SettlementStatus, SupplierBankAccount)


def lock_supplier(supplier_id: int):
    """The catalog's supplier row, locked for this transaction; NotFound when there is none."""
    from app.catalog.models import Supplier

    supplier = db.session.get(Supplier, supplier_id, with_for_update=True, populate_existing=True)
    if supplier is None:
        raise NotFound(_l("There is no such supplier."), "supplier_id")
    return supplier


def settlement_of(supplier_id: int, period: Period) -> Settlement | None:
    return db.session.scalar(select(Settlement).where(
        Settlement.supplier_id == supplier_id, Settlement.period_first == period.first,
        Settlement.period_last == period.last))


def _live_line():
    return exists().where(PayoutLine.settlement_id == Settlement.id, PayoutLine.released.is_(False))


def confirm(supplier_id: int, period: Period, *, actor_id: int | None, now: datetime | None = None) -> Settlement:
    """Confirm the supplier's settlement of `period` (the one already confirmed, if any).

    Posts `settlement-fee:<supplier>:<period>` (Dr supplier payable / Cr WeChat fees) for
    the supplier's share of the fees, so that its payable then holds what is to be paid,
    and takes in the amounts of its earlier settlements that no batch is paying (a
    negative one, or one never put in a batch), which are then carried.
    Raises DomainError while the period may still receive entries, Conflict when another
    settlement of the supplier overlaps it, NotFound for an unknown supplier.
    """
    now = now or utcnow()
    if now < period.settle_from:
        raise DomainError(_l("A period can be settled from 12:00 on the day after it ends, once WeChat Pay's "
                             "bill of its last day is reconciled."), "period", code="period_open")
    supplier = lock_supplier(supplier_id)
    found = settlement_of(supplier_id, period)
    if found is not None:
        return found
    clash = db.session.scalar(select(Settlement).where(
        Settlement.supplier_id == supplier_id, Settlement.period_first <= period.last,
        Settlement.period_last >= period.first).limit(1))
    if clash is not None:
        raise Conflict(_l("%(supplier)s is settled already for %(first)s to %(last)s, which overlaps this period.",
                          supplier=supplier.name, first=clash.period_first.isoformat(),
                          last=clash.period_last.isoformat()), "period", code="overlap")
    mine = figures(period, [supplier_id]).get(supplier_id) or Figures(supplier_id)
    earlier = list(db.session.scalars(select(Settlement).where(
        Settlement.supplier_id == supplier_id, Settlement.status == SettlementStatus.CONFIRMED,
        Settlement.period_last < period.first, ~_live_line())
        .order_by(Settlement.period_first).with_for_update()))
    forward = sum(s.amount_due_fen for s in earlier)
    settlement = Settlement(
        supplier_id=supplier_id, supplier_name=supplier.name, period_first=period.first, period_last=period.last,
        gross_fen=mine.gross, refunds_fen=mine.refunds, commission_fen=mine.commission, fees_fen=mine.fees,
        payable_fen=mine.payable, brought_forward_fen=forward, amount_due_fen=mine.payable + forward,
        rows=[r.as_json() for r in mine.rows], confirmed_by_id=actor_id, confirmed_at=now)
    db.session.add(settlement)
    db.session.flush()
    for old in earlier:
        states.apply(SETTLEMENT_MACHINE, old, SettlementStatus.CARRIED, actor_id=actor_id, at=now,
                     note=f"carried into settlement {settlement.id}")
        old.carried_into_id = settlement.id
    if mine.fees:
        ledger.post(f"settlement-fee:{supplier_id}:{period.key}", "settlement_fee",
                    [ledger.Line(ledger.SUPPLIER_PAYABLE, mine.fees, "supplier", supplier_id),
                     ledger.Line(ledger.WECHAT_FEES, -mine.fees)],
                    memo=f"WeChat Pay fees {period.key} recharged to supplier {supplier_id}", at=now)
    audit.record(settlement, "confirmed", actor_id=actor_id, at=now, note=period.key)
    from app.statements.settlement_files import intent_key, make_files

    after_commit(make_files, settlement.id, key=intent_key(settlement.id))
    return settlement


# --- what the pages show -------------------------------------------------------------------------

@dataclass
class PeriodRow:
    """A supplier's line on the settlement page: the confirmed figures, or the ledger's now."""

    supplier_id: int
    name: str
    live: Figures | None
    settlement: Settlement | None
    line: PayoutLine | None

    def _figure(self, frozen: str, live: str) -> int:
        if self.settlement is not None:
            return getattr(self.settlement, frozen)
        return getattr(self.live, live) if self.live is not None else 0

    gross = property(lambda self: self._figure("gross_fen", "gross"))
    refunds = property(lambda self: self._figure("refunds_fen", "refunds"))
    commission = property(lambda self: self._figure("commission_fen", "commission"))
    fees = property(lambda self: self._figure("fees_fen", "fees"))
    payable = property(lambda self: self._figure("payable_fen", "payable"))

    @property
    def changed(self) -> bool:
        """The ledger holds other figures for a period already confirmed (entries came late)."""
        return self.settlement is not None and (self.live.payable if self.live else 0) != self.settlement.payable_fen

    @property
    def state(self) -> str:
        if self.settlement is None:
            return "open"
        if self.settlement.status != SettlementStatus.CONFIRMED:
            return self.settlement.status.value
        return self.line.batch.status.value if self.line is not None else "confirmed"


def _names(supplier_ids: set[int]) -> dict[int, str]:
    from app.catalog.models import Supplier

    if not supplier_ids:
        return {}
    return dict(db.session.execute(select(Supplier.id, Supplier.name).where(Supplier.id.in_(sorted(supplier_ids)))).all())


def live_lines(settlement_ids: list[int]) -> dict[int, PayoutLine]:
    if not settlement_ids:
        return {}
    lines = db.session.scalars(select(PayoutLine).where(PayoutLine.settlement_id.in_(settlement_ids),
                                                        PayoutLine.released.is_(False))
                               .options(selectinload(PayoutLine.batch)))
    return {line.settlement_id: line for line in lines}


def period_rows(period: Period) -> list[PeriodRow]:
    """Every supplier with entries in the period or a settlement of it, by name."""
    live = figures(period)
    settled = {s.supplier_id: s for s in db.session.scalars(select(Settlement).where(
        Settlement.period_first == period.first, Settlement.period_last == period.last))}
    names = _names(set(live) | set(settled))
    lines = live_lines([s.id for s in settled.values()])
    rows = [PeriodRow(sid, names.get(sid, str(sid)), live.get(sid), settled.get(sid),
                      lines.get(settled[sid].id) if sid in settled else None) for sid in names]
    return sorted(rows, key=lambda r: (r.name, r.supplier_id))


def totals(rows: list[PeriodRow]) -> dict[str, int]:
    return {name: sum(getattr(r, name) for r in rows) for name in ("gross", "refunds", "commission", "fees", "payable")}


@dataclass
class SupplierView:
    supplier: object
    period: Period
    row: PeriodRow
    rows: list[Row]
    history: list[Settlement]
    bank: SupplierBankAccount | None


def supplier_view(supplier_id: int, period: Period) -> SupplierView:
    """A supplier's settlement of a period: its figures, its statement's lines (as confirmed,
    or as the ledger holds them now), its other settlements and its bank details."""
    from app.catalog.models import Supplier

    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound(_l("There is no such supplier."), "supplier_id")
    live = figures(period, [supplier_id]).get(supplier_id)
    settlement = settlement_of(supplier_id, period)
    line = live_lines([settlement.id]).get(settlement.id) if settlement else None
    rows = [Row.of_json(r) for r in settlement.rows] if settlement else (live.rows if live else [])
    history = list(db.session.scalars(select(Settlement).where(Settlement.supplier_id == supplier_id)
                                      .order_by(Settlement.period_first.desc()).limit(24)))
    bank = db.session.scalar(select(SupplierBankAccount).where(SupplierBankAccount.supplier_id == supplier_id))
    return SupplierView(supplier, period, PeriodRow(supplier_id, supplier.name, live, settlement, line), rows,
                        history, bank)


# --- payout batches --------------------------------------------------------------------------------

def batches_page(status: str | None, before: int | None, limit: int = 50) -> tuple[list[PayoutBatch], int | None]:
    """Newest batches first, `limit` at a time (keyset on the id), lines loaded with them."""
    stmt = select(PayoutBatch).options(selectinload(PayoutBatch.lines)).order_by(PayoutBatch.id.desc())
    if status:
        stmt = stmt.where(PayoutBatch.status == status)
    if before:
        stmt = stmt.where(PayoutBatch.id < before)
    found = list(db.session.scalars(stmt.limit(limit + 1)))
    return found[:limit], (found[limit - 1].id if len(found) > limit else None)


def all_batches(status: str | None):
    """Every batch, newest first, for the CSV export (read in slices)."""
    before = None
    while True:
        page, before = batches_page(status, before, 500)
        yield from page
        if before is None:
            return


@dataclass
class BatchView:
    batch: PayoutBatch
    banks: dict[int, SupplierBankAccount]
    history: list[tuple[object, str]]      # (audit entry, who)


def batch_view(batch_id: int) -> BatchView:
    from app.statements.payouts import bank_accounts

    batch = db.session.scalar(select(PayoutBatch).where(PayoutBatch.id == batch_id)
                              .options(selectinload(PayoutBatch.lines)))
    if batch is None:
        raise NotFound(_l("There is no such payout batch."), "batch_id")
    return BatchView(batch, bank_accounts(line.supplier_id for line in batch.lines), history(batch))


def history(obj) -> list[tuple[object, str]]:
    """What the audit log holds about `obj`, each with the name of who did it."""
    from app.accounts.models import User

    entries = audit.history(obj)
    ids = sorted({e.actor_id for e in entries if e.actor_id})
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
    return [(e, names.get(e.actor_id, "")) for e in entries]
