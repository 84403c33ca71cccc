"""Two people acting on the same payouts at the same moment, on PostgreSQL with real
commits: one approval wins, "paid" twice books each payout once, and two batches made at
once for the same supplier and period pay it once."""
from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, select

from app import ledger
from app.core import audit
from app.core.db import unit
from app.core.errors import DomainError
from app.extensions import db
from app.ledger.models import JournalEntry
from app.statements import payouts
from app.statements.settlement_models import PayoutBatch, PayoutLine
from tests.statements.settlement_fixtures import at, build_books, payable, this_month


def _at_once(app, work: Callable[[], object], times: int = 2) -> list[str]:
    """Run `work` in `times` threads released together, each in a unit of work of its own."""
    barrier, outcomes = threading.Barrier(times), []

    def run() -> None:
        with app.app_context():
            barrier.wait()
            try:
                with unit():
                    work()
                outcomes.append("done")
            except DomainError as e:
                outcomes.append(e.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    db.session.expire_all()
    return sorted(outcomes)


def _books_with_batch(period):
    books = build_books(db.session)
    books.fee(books.paid([(books.shop.cny_offer.id, 2), (books.shop.usd_offer.id, 1)], at(period)), at(period, hours=1))
    for supplier in (books.bonded, books.new_york):
        payouts.save_bank_account(supplier.id, account_name=supplier.name, bank_name="Bank", account_number="62170000123",
                                  swift_bic=None, actor_id=None)
    return books


def test_two_approvals_at_once_approve_once_and_two_paid_at_once_pay_once(app, committed):
    period = this_month()
    books = _books_with_batch(period)
    batch = payouts.create_batch([books.bonded.id, books.new_york.id], period, actor_id=None,
                                 now=period.settle_from).batch
    db.session.commit()
    batch_id = batch.id

    assert _at_once(app, lambda: payouts.approve(batch_id, actor_id=None)) == ["done", "illegal_transition"]
    batch = db.session.get(PayoutBatch, batch_id)
    assert [e.to_state for e in audit.history(batch) if e.action == "state"] == ["approved"]

    payouts.export(batch_id, actor_id=None)
    db.session.commit()
    entries = db.session.scalar(select(func.count()).select_from(JournalEntry))
    assert _at_once(app, lambda: payouts.mark_paid(batch_id, "CMB-77", actor_id=None)) == ["done", "done"]
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == entries + 2, "one payout each"
    assert payable(books.bonded.id) == 0 and payable(books.new_york.id) == 0
    assert ledger.balance(ledger.BANK) == -db.session.get(PayoutBatch, batch_id).total_fen


def test_two_batches_made_at_once_for_one_supplier_pay_it_once(app, committed):
    period = this_month()
    books = _books_with_batch(period)
    db.session.commit()
    supplier_id = books.bonded.id
    outcomes = _at_once(app, lambda: payouts.create_batch([supplier_id], period, actor_id=None,
                                                          now=period.settle_from))
    assert outcomes == ["done", "nothing_due"]
    assert db.session.scalar(select(func.count()).select_from(PayoutLine)
                             .where(PayoutLine.supplier_id == supplier_id)) == 1
