"""Paying suppliers: payout batches (draft → approved → exported → paid) and bank details.

A batch takes each chosen supplier's settlement of a period (confirming it when needed)
with what it is due. Nothing is paid twice: a supplier's period is in one live batch at
most (a unique index on the lines), every change of a batch locks its row first, so two
approvals or two "paid" at once are decided one after the other, and the ledger's payout
entry is keyed by supplier and period. Marking paid posts Dr supplier payable / Cr bank
for each line, which brings the supplier's payable for the period back to zero.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import ledger
from app.core import audit, crypto, csvio, files, states
from app.core.errors import Conflict, DomainError, NotFound
from app.core.models import utcnow
from app.core.money import format_money, to_major
from app.extensions import db
from app.statements.settlement import CHINA, Period
from app.statements.settlement_models import (BATCH_MACHINE, SETTLEMENT_MACHINE, BatchStatus, PayoutBatch, PayoutLine,
                                              SettlementStatus, SupplierBankAccount)
from app.statements.settlement_services import confirm, live_lines

MAX_SUPPLIERS = 500
BANK_FILE_HEADER = ["序号 No.", "收款人 Payee", "收款银行 Bank", "SWIFT/BIC", "收款账号 Account number",
                    "金额 Amount", "币种 Currency", "附言 Reference"]
ACCOUNT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{4,40}$")
SWIFT = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")


# --- bank details --------------------------------------------------------------------------------

def save_bank_account(supplier_id: int, *, account_name: str, bank_name: str, account_number: str | None,
                      swift_bic: str | None, actor_id: int | None) -> SupplierBankAccount:
    """Keep where the supplier is paid; a blank account number keeps the one on file.

    Raises DomainError naming the field for an account number or SWIFT/BIC code that
    cannot be one, or a missing account number for a supplier without one.
    """
    from app.statements.settlement_services import lock_supplier

    lock_supplier(supplier_id)
    found = db.session.scalar(select(SupplierBankAccount).where(SupplierBankAccount.supplier_id == supplier_id))
    number = re.sub(r"[ -]", "", account_number or "").upper()
    if account_number and not ACCOUNT.match(account_number.strip()):
        raise DomainError(_l("An account number has 5 to 34 letters and digits (spaces and hyphens are ignored)."),
                          "account_number")
    if found is None and not number:
        raise DomainError(_l("Enter the account number."), "account_number")
    swift = (swift_bic or "").replace(" ", "").upper() or None
    if swift and not SWIFT.match(swift):
        raise DomainError(_l("A SWIFT/BIC code has 8 or 11 letters and digits, such as BKCHCNBJ."), "swift_bic")
    if found is None:
        found = SupplierBankAccount(supplier_id=supplier_id)
        db.session.add(found)
    found.account_name, found.bank_name, found.swift_bic, found.updated_by_id = account_name, bank_name, swift, actor_id
    if number:
        found.account_cipher, found.account_masked = crypto.encrypt(number), "•••• " + number[-4:]
    db.session.flush()
    audit.record(found, "bank_details_saved", actor_id=actor_id, note=found.account_masked)
    return found


def bank_accounts(supplier_ids: Iterable[int]) -> dict[int, SupplierBankAccount]:
    ids = sorted(set(supplier_ids))
    if not ids:
        return {}
    return {b.supplier_id: b for b in db.session.scalars(
        select(SupplierBankAccount).where(SupplierBankAccount.supplier_id.in_(ids)))}


# --- batches ---------------------------------------------------------------------------------------

@dataclass
class Created:
    batch: PayoutBatch
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (supplier, why), in words


class _Joined:
    """Lazy texts joined when shown, so that the message reads in the language it is shown in."""

    def __init__(self, parts: list) -> None:
        self.parts = parts

    def __str__(self) -> str:
        return "; ".join(str(p) for p in self.parts)


def _number(now: datetime) -> str:
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return f"PB{now.astimezone(CHINA):%y%m%d}" + "".join(secrets.choice(alphabet) for _ in range(6))


def create_batch(supplier_ids: Iterable[int], period: Period, *, actor_id: int | None,
                 now: datetime | None = None) -> Created:
    """A draft batch paying each chosen supplier what its settlement of `period` is due.

    Confirms settlements not yet confirmed. A supplier with nothing due, or whose period is
    paid or in another batch, is left out and said so. Raises DomainError when nobody is
    left to pay, Conflict when another batch took one of them at the same moment.
    """
    now = now or utcnow()
    ids = sorted(set(supplier_ids))
    if not ids:
        raise DomainError(_l("Choose at least one supplier."), "supplier_id")
    if len(ids) > MAX_SUPPLIERS:
        raise DomainError(_l("Choose at most %(max)d suppliers for one batch.", max=MAX_SUPPLIERS), "supplier_id")
    created = Created(PayoutBatch(number=_number(now), created_by_id=actor_id, created_at=now, updated_at=now))
    settlements = [confirm(sid, period, actor_id=actor_id, now=now) for sid in ids]
    taken = live_lines([s.id for s in settlements])
    for s in settlements:
        if s.status == SettlementStatus.PAID:
            created.skipped.append((s.supplier_name, _l("paid already")))
        elif s.status == SettlementStatus.CARRIED:
            created.skipped.append((s.supplier_name, _l("carried into a later settlement")))
        elif s.id in taken:
            created.skipped.append((s.supplier_name, _l("in batch %(number)s", number=taken[s.id].batch.number)))
        elif s.amount_due_fen <= 0:
            created.skipped.append((s.supplier_name, _l("nothing due (%(amount)s)", amount=format_money(s.amount_due_fen))))
        else:
            created.batch.lines.append(PayoutLine(settlement_id=s.id, supplier_id=s.supplier_id,
                                                  supplier_name=s.supplier_name, period_first=s.period_first,
                                                  period_last=s.period_last, amount_fen=s.amount_due_fen))
    if not created.batch.lines:
        reasons = _Joined([_l("%(supplier)s: %(why)s", supplier=name, why=why) for name, why in created.skipped])
        raise DomainError(_l("Nobody in this choice is to be paid (%(reasons)s).", reasons=reasons), "supplier_id",
                          code="nothing_due")
    created.batch.total_fen = sum(line.amount_fen for line in created.batch.lines)
    try:
        with db.session.begin_nested():
            db.session.add(created.batch)
    except IntegrityError:
        raise Conflict(_l("Another payout batch took one of these suppliers just now. Reload the page and try "
                          "again."), "supplier_id") from None
    audit.record(created.batch, "created", actor_id=actor_id, at=now,
                 note=", ".join(line.supplier_name for line in created.batch.lines)[:1000])
    return created


def _lock(batch_id: int) -> PayoutBatch:
    batch = db.session.scalar(select(PayoutBatch).where(PayoutBatch.id == batch_id).with_for_update()
                              .execution_options(populate_existing=True))
    if batch is None:
        raise NotFound(_l("There is no such payout batch."), "batch_id")
    return batch


def live(batch: PayoutBatch) -> list[PayoutLine]:
    return [line for line in batch.lines if not line.released]


def approve(batch_id: int, *, actor_id: int | None) -> PayoutBatch:
    """Approve a draft batch. Raises IllegalTransition when it was approved (or cancelled)
    already, also by someone at the same moment, and DomainError when a supplier in it has
    no bank details yet."""
    batch = _lock(batch_id)
    if batch.status == BatchStatus.DRAFT:
        accounts = bank_accounts(line.supplier_id for line in live(batch))
        missing = [line.supplier_name for line in live(batch) if line.supplier_id not in accounts]
        if missing:
            raise DomainError(_l("Add the bank details of %(suppliers)s first.", suppliers=", ".join(missing)),
                              code="bank_details_missing")
    states.apply(BATCH_MACHINE, batch, BatchStatus.APPROVED, actor_id=actor_id,
                 message=_l("This batch was approved or cancelled already."))
    return batch


def bank_file_rows(batch: PayoutBatch) -> list[list]:
    accounts = bank_accounts(line.supplier_id for line in live(batch))
    rows = []
    for n, line in enumerate(live(batch), start=1):
        account = accounts.get(line.supplier_id)
        number = crypto.decrypt(account.account_cipher) if account else None
        if account is None or number is None:
            raise DomainError(_l("The bank details of %(supplier)s cannot be read: enter them again.",
                                 supplier=line.supplier_name), code="bank_details_missing")
        line.payee_name, line.bank_name, line.account_masked = account.account_name, account.bank_name, account.account_masked
        rows.append([n, account.account_name, account.bank_name, account.swift_bic or "", number,
                     to_major(line.amount_fen, "CNY"), "CNY", line.reference])
    return rows


def export(batch_id: int, *, actor_id: int | None) -> PayoutBatch:
    """Make the approved batch's bank transfer file (CSV) and keep it; a batch exported
    already keeps the file it had. Raises IllegalTransition for a draft or cancelled batch."""
    batch = _lock(batch_id)
    if batch.status in (BatchStatus.EXPORTED, BatchStatus.PAID) and batch.file_key:
        return batch
    if batch.status == BatchStatus.APPROVED:
        text = csvio.BOM + csvio.write(BANK_FILE_HEADER, bank_file_rows(batch))
        stored = files.store("payouts", text.encode("utf-8"), suffix=".csv")
        batch.file_key, batch.file_sha256 = stored.key, stored.sha256
    states.apply(BATCH_MACHINE, batch, BatchStatus.EXPORTED, actor_id=actor_id,
                 message=_l("Only an approved batch can be exported."))
    return batch


def mark_paid(batch_id: int, bank_reference: str, *, actor_id: int | None, now: datetime | None = None) -> PayoutBatch:
    """Record that the bank paid the exported batch, and book each payout in the ledger
    (`payout:<supplier>:<period>`, Dr supplier payable / Cr bank).

    Marking it paid again with the same reference changes nothing; with another reference
    it is refused (Conflict). Raises IllegalTransition for a batch not yet exported.
    """
    now = now or utcnow()
    batch = _lock(batch_id)
    if batch.status == BatchStatus.PAID:
        if batch.bank_reference == bank_reference:
            return batch
        raise Conflict(_l("This batch was marked paid already, with the bank reference %(reference)s.",
                          reference=batch.bank_reference), "bank_reference", code="paid_already")
    states.apply(BATCH_MACHINE, batch, BatchStatus.PAID, actor_id=actor_id, at=now, note=bank_reference,
                 message=_l("Only a batch whose bank file was exported can be marked paid."))
    batch.bank_reference = bank_reference
    from app.statements.settlement_models import Settlement

    for line in live(batch):
        settlement = db.session.get(Settlement, line.settlement_id, with_for_update=True, populate_existing=True)
        states.apply(SETTLEMENT_MACHINE, settlement, SettlementStatus.PAID, actor_id=actor_id, at=now,
                     note=batch.number)
        period = Period(line.period_first, line.period_last)
        ledger.post(f"payout:{line.supplier_id}:{period.key}", "payout",
                    [ledger.Line(ledger.SUPPLIER_PAYABLE, line.amount_fen, "supplier", line.supplier_id),
                     ledger.Line(ledger.BANK, -line.amount_fen)],
                    memo=f"payout {batch.number} ({bank_reference})"[:200], at=now)
    return batch


def cancel(batch_id: int, *, actor_id: int | None, note: str = "") -> PayoutBatch:
    """Cancel a batch not yet paid; its settlements may then be paid in another."""
    batch = _lock(batch_id)
    states.apply(BATCH_MACHINE, batch, BatchStatus.CANCELLED, actor_id=actor_id, note=note or None,
                 message=_l("A paid or cancelled batch cannot be cancelled."))
    for line in batch.lines:
        line.released = True
    db.session.flush()
    return batch
