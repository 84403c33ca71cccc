"""Payout batches: approve, export a bank file, mark paid; the ledger books each payout and
the supplier's payable returns to zero; nothing is paid twice."""
from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import ledger
from app.core import audit, csvio, files
from app.core.errors import Conflict, DomainError
from app.core.states import IllegalTransition
from app.extensions import db
from app.ledger.models import JournalEntry
from app.statements import payouts
from app.statements.settlement_models import BatchStatus, PayoutLine, SettlementStatus
from tests.statements.settlement_fixtures import at, books, payable, this_month  # noqa: F401


def _pay_both(books):
    period = this_month()
    books.fee(books.paid([(books.shop.cny_offer.id, 2)], at(period)), at(period, hours=2))
    books.fee(books.paid([(books.shop.cny_offer.id, 1), (books.shop.usd_offer.id, 1)], at(period, days=1)),
              at(period, days=1, hours=2))
    for supplier in (books.bonded, books.new_york):
        payouts.save_bank_account(supplier.id, account_name=supplier.name, bank_name="Bank of China, Shenzhen",
                                  account_number="6217 0000 1234 5678", swift_bic="bkchcnbj", actor_id=None)
    return period


def _batch(books, period, suppliers=None):
    ids = [s.id for s in (suppliers or (books.bonded, books.new_york))]
    return payouts.create_batch(ids, period, actor_id=books.buyer.id, now=period.settle_from).batch


def test_a_payout_books_balanced_entries_and_the_payable_returns_to_zero(books):
    period = _pay_both(books)
    batch = _batch(books, period)
    due = {line.supplier_id: line.amount_fen for line in batch.lines}
    assert due == {s: payable(s) for s in due}, "after confirming, the books owe exactly what the batch pays"
    payouts.approve(batch.id, actor_id=None)
    payouts.export(batch.id, actor_id=None)
    rows = list(csvio.read(files.read(batch.file_key, batch.file_sha256).decode("utf-8")))
    assert rows[0][1].endswith("Payee") and len(rows) == 3
    line = next(line for line in batch.lines if line.supplier_id == books.bonded.id)
    bonded_row = next(r for r in rows[1:] if r[1] == books.bonded.name)
    assert bonded_row[4] == "6217000012345678" and bonded_row[3] == "BKCHCNBJ"
    assert bonded_row[5] == f"{line.amount_fen // 100}.{line.amount_fen % 100:02d}", "yuan with two decimals"
    assert bonded_row[7] == line.reference == f"{batch.number}-{line.settlement_id}"

    payouts.mark_paid(batch.id, "CMB20261205000123", actor_id=None)
    assert batch.status == BatchStatus.PAID and batch.bank_reference == "CMB20261205000123"
    for supplier_id, amount in due.items():
        entry = ledger.entry(f"payout:{supplier_id}:{period.key}")
        assert sum(p.amount_fen for p in entry.postings) == 0
        assert {p.account.code: p.amount_fen for p in entry.postings} == {ledger.SUPPLIER_PAYABLE: amount,
                                                                         ledger.BANK: -amount}
        assert payable(supplier_id) == 0, "paid what it was owed, to the fen"
    assert ledger.balance(ledger.BANK) == -sum(due.values()) and ledger.trial_balance() == 0
    from app.statements.settlement_models import Settlement

    assert {db.session.get(Settlement, line.settlement_id).status for line in batch.lines} == {SettlementStatus.PAID}


def test_a_second_payout_of_the_same_supplier_and_period_is_refused(books):
    period = _pay_both(books)
    first = _batch(books, period)
    with pytest.raises(DomainError) as second:
        _batch(books, period, [books.bonded])
    assert second.value.code == "nothing_due" and first.number in str(second.value.message)
    # Below the service, the database refuses a second live line for the supplier's period.
    line = first.lines[0]
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(PayoutLine(batch_id=first.id, settlement_id=line.settlement_id, supplier_id=line.supplier_id,
                                  period_first=line.period_first, period_last=line.period_last,
                                  supplier_name="again", amount_fen=line.amount_fen))
    payouts.approve(first.id, actor_id=None)
    payouts.export(first.id, actor_id=None)
    payouts.mark_paid(first.id, "REF-1", actor_id=None)
    with pytest.raises(DomainError) as after_paid:
        _batch(books, period, [books.bonded])
    with force_locale("en"):
        assert "paid already" in str(after_paid.value.message)


def test_a_cancelled_batch_frees_its_suppliers_for_another(books):
    period = _pay_both(books)
    first = _batch(books, period)
    payouts.cancel(first.id, actor_id=None, note="wrong bank day")
    again = _batch(books, period)
    assert again.id != first.id and {l.supplier_id for l in again.lines} == {l.supplier_id for l in first.lines}
    assert all(line.released for line in first.lines)
    with pytest.raises(IllegalTransition):
        payouts.approve(first.id, actor_id=None)


def test_marking_paid_twice_changes_nothing(books):
    period = _pay_both(books)
    batch = _batch(books, period)
    payouts.approve(batch.id, actor_id=None)
    payouts.export(batch.id, actor_id=None)
    payouts.mark_paid(batch.id, "CMB-0001", actor_id=None)
    counted = (db.session.scalar(select(func.count()).select_from(JournalEntry)), len(audit.history(batch)),
               ledger.balance(ledger.BANK), batch.paid_at)
    payouts.mark_paid(batch.id, "CMB-0001", actor_id=None)
    assert (db.session.scalar(select(func.count()).select_from(JournalEntry)), len(audit.history(batch)),
            ledger.balance(ledger.BANK), batch.paid_at) == counted
    with pytest.raises(Conflict) as other:
        payouts.mark_paid(batch.id, "CMB-0002", actor_id=None)
    assert "CMB-0001" in str(other.value.message) and batch.bank_reference == "CMB-0001"


def test_a_batch_moves_only_forward(books):
    period = _pay_both(books)
    batch = _batch(books, period)
    with pytest.raises(IllegalTransition):
        payouts.export(batch.id, actor_id=None)           # not approved yet
    with pytest.raises(IllegalTransition):
        payouts.mark_paid(batch.id, "X", actor_id=None)   # no bank file yet
    payouts.approve(batch.id, actor_id=books.buyer.id)
    with pytest.raises(IllegalTransition):
        payouts.approve(batch.id, actor_id=None)
    exported = payouts.export(batch.id, actor_id=None)
    key = exported.file_key
    assert payouts.export(batch.id, actor_id=None).file_key == key, "the bank file is made once"
    who = [(e.to_state, e.actor_id) for e in audit.history(batch) if e.action == "state"]
    assert who == [("approved", books.buyer.id), ("exported", None)], "who and when, in the audit log"


def test_a_batch_is_approved_only_with_every_payees_bank_details(books):
    period = this_month()
    books.paid([(books.shop.cny_offer.id, 1)], at(period))
    batch = _batch(books, period, [books.bonded])
    with pytest.raises(DomainError) as missing:
        payouts.approve(batch.id, actor_id=None)
    assert missing.value.code == "bank_details_missing" and books.bonded.name in str(missing.value.message)
    with pytest.raises(DomainError) as bad:
        payouts.save_bank_account(books.bonded.id, account_name="A", bank_name="B", account_number="12",
                                  swift_bic=None, actor_id=None)
    assert bad.value.field == "account_number"
    with pytest.raises(DomainError) as bad_swift:
        payouts.save_bank_account(books.bonded.id, account_name="A", bank_name="B", account_number="123456789",
                                  swift_bic="BKCH", actor_id=None)
    assert bad_swift.value.field == "swift_bic"
    saved = payouts.save_bank_account(books.bonded.id, account_name="A", bank_name="B", account_number="1234-5678-90",
                                      swift_bic=None, actor_id=None)
    assert saved.account_masked == "•••• 7890" and "1234567890" not in saved.account_cipher
    assert payouts.save_bank_account(books.bonded.id, account_name="A2", bank_name="B", account_number="",
                                     swift_bic=None, actor_id=None).account_masked == "•••• 7890", "blank keeps it"
    assert payouts.approve(batch.id, actor_id=None).status == BatchStatus.APPROVED
