"""Building a statement: read the ledger, write the CSV and the PDF, store both with their
checksums, and say so (an SMS to the company's finance people and owners for a monthly one).

The build commits each step on its own, so the statement's page can show how far it is
(`building`, then each phase) while the PDF is laid out. Nothing it stores is named by the
statement until the last step, which locks the row and makes it `ready` only if it is
still being built: a second run (a worker that died and came back) finds it done and
throws its own files away.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import accounts, notifications
from app.accounts.models import BuyerRole, Company, Membership, User
from app.core import csvio, files, states
from app.core.db import unit
from app.core.models import utcnow
from app.core.money import to_major
from app.extensions import db
from app.statements import pdf
from app.statements.statement_models import STATEMENT_MACHINE, Statement, StatementStatus
from app.statements.statements import CHINA, Period, StatementData, read

log = logging.getLogger(__name__)

KIND_LABELS = {"order": _l("Order"), "payment": _l("Payment"), "credit": _l("Refund approved"),
               "refund": _l("Refund paid"), "adjustment": _l("Adjustment")}
# Whom a monthly statement is texted to: who may read statements.
READERS = (BuyerRole.OWNER, BuyerRole.FINANCE)


@dataclass(frozen=True)
class Letterhead:
    name: str
    credit_code: str
    phone: str


class Superseded(Exception):
    """Another run finished the statement (or it failed) while this one worked."""


def _lock(statement_id: int) -> Statement | None:
    return db.session.scalar(select(Statement).where(Statement.id == statement_id)
                             .with_for_update().execution_options(populate_existing=True))


def _phase(statement_id: int, phase: str) -> None:
    with unit():
        statement = _lock(statement_id)
        if statement is None or statement.status != StatementStatus.BUILDING:
            raise Superseded
        statement.phase = phase


def build(statement_id: int) -> str:
    """Build a requested statement's files from the ledger; returns its status afterwards.

    Raises whatever broke (the job retries, then marks it failed: see `failed`).
    """
    with unit():
        statement = _lock(statement_id)
        if statement is None or not statement.waiting:
            return statement.status.value if statement else "gone"
        states.apply(STATEMENT_MACHINE, statement, StatementStatus.BUILDING)
        statement.phase = "ledger"
        company_id, month, language = statement.company_id, statement.month, statement.language
        period = Period(statement.period_start, statement.period_end)
    with unit():
        company = db.session.get(Company, company_id)
        head = Letterhead(company.name, company.credit_code, company.contact_phone)
        data = read(company_id, period)
        built_at = utcnow()
    try:
        _phase(statement_id, "csv")
        with force_locale(language):
            csv_data = csv_bytes(data)
            _phase(statement_id, "pdf")
            pdf_data = pdf_bytes(data, head, number=statement_id, built_at=built_at, monthly=month)
        _phase(statement_id, "files")
    except Superseded:
        return "superseded"
    stored = [files.store("statements", csv_data, suffix=".csv"), files.store("statements", pdf_data, suffix=".pdf")]
    with unit():
        statement = _lock(statement_id)
        if statement is None or statement.status != StatementStatus.BUILDING:
            for kept in stored:
                files.remove(kept.key)
            return "superseded"
        _finish(statement, data, *stored)
        return statement.status.value


def _finish(statement: Statement, data: StatementData, csv_file: files.Stored, pdf_file: files.Stored) -> None:
    t = data.totals
    statement.csv_key, statement.csv_sha256, statement.csv_size = csv_file.key, csv_file.sha256, csv_file.size
    statement.pdf_key, statement.pdf_sha256, statement.pdf_size = pdf_file.key, pdf_file.sha256, pdf_file.size
    statement.line_count, statement.opening_fen, statement.closing_fen = len(data.lines), data.opening_fen, data.closing_fen
    statement.charged_fen, statement.paid_fen, statement.credited_fen = t.charged_fen, t.paid_fen, t.credited_fen
    statement.refunded_fen, statement.adjusted_fen = t.refunded_fen, t.adjusted_fen
    statement.vat_fen, statement.consumption_tax_fen, statement.tariff_fen = t.vat_fen, t.consumption_tax_fen, t.tariff_fen
    statement.phase = None
    states.apply(STATEMENT_MACHINE, statement, StatementStatus.READY)
    if statement.month is not None:
        _text_readers(statement)


def failed(statement_id: int) -> None:
    """The build broke on every try: the statement says so, and may be asked for again."""
    statement = _lock(statement_id)
    if statement is not None and STATEMENT_MACHINE.can(statement, StatementStatus.FAILED):
        states.apply(STATEMENT_MACHINE, statement, StatementStatus.FAILED)
        statement.phase = None
        statement.error = "build_failed"   # a code: the page says what it means


def month_text(month: date, language: str) -> str:
    """"2026年11月" or "November 2026", as the SMS says which statement is ready."""
    if language.startswith("en"):
        return format_date(month, "MMMM yyyy", locale="en")
    return f"{month.year}年{month.month}月"


def _text_readers(statement: Statement) -> None:
    readers = db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.company_id == statement.company_id, Membership.role.in_(READERS), User.active.is_(True))
        .order_by(User.id))
    for user in readers:
        to = accounts.recipient(user)
        if to is not None:
            notifications.notify("statement_ready", to, about=statement,
                                 period=month_text(statement.month, to.language))


# --- the files ----------------------------------------------------------------------------

def _cny(fen: int) -> Decimal:
    return to_major(fen, "CNY")


def _when(at: datetime) -> str:
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def csv_bytes(data: StatementData) -> bytes:
    """The statement as CSV (UTF-8 with the byte-order mark spreadsheets need), in the
    current locale: the opening balance, one row per line, the closing balance."""
    header = [_("Date (Beijing time)"), _("Type"), _("Reference"), _("Order"), _("Charges (CNY)"),
              _("Payments and credits (CNY)"), _("Balance (CNY)"), _("VAT (CNY)"), _("Consumption tax (CNY)"),
              _("Tariff (CNY)"), _("Note")]
    start, end = data.period.bounds()
    rows: list[list[Any]] = [[_when(start), _("Opening balance"), "", "", "", "", _cny(data.opening_fen), "", "", "", ""]]
    labels = {k: str(v) for k, v in KIND_LABELS.items()}
    for line in data.lines:
        rows.append([_when(line.at), labels[line.kind], line.reference, line.order_number or "",
                     _cny(line.amount_fen) if line.amount_fen > 0 else "",
                     _cny(-line.amount_fen) if line.amount_fen < 0 else "", _cny(line.balance_fen),
                     *(_cny(tax) for tax in line.taxes), line.memo])
    t = data.totals
    rows.append([_when(end), _("Closing balance"), "", "", _cny(data.debits_fen), _cny(data.credits_fen),
                 _cny(data.closing_fen), _cny(t.vat_fen), _cny(t.consumption_tax_fen), _cny(t.tariff_fen), ""])
    return (csvio.BOM + csvio.write(header, rows)).encode("utf-8")


def pdf_bytes(data: StatementData, head: Letterhead, *, number: int, built_at: datetime,
              monthly: date | None = None) -> bytes:
    """The statement as a PDF, in the current locale (statements/pdf/statement.html)."""
    return pdf.render("statements/pdf/statement.html", data=data, head=head, number=number,
                      built_at=_when(built_at), monthly=monthly, labels={k: str(v) for k, v in KIND_LABELS.items()},
                      when=_when, cny=lambda fen: f"{_cny(fen):,}")
