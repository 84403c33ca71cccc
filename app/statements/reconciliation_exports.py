"""The finance pages' lists as CSV, through the one formula-safe writer: amounts as yuan numbers
(Decimal), times in Beijing time, words in the reader's language."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from flask import Response
from flask_babel import gettext as _
from flask_babel import pgettext

from app.core import csvio
from app.core.money import to_major
from app.payments.gateway import BEIJING
from app.statements import reconciliation_queries as queries
from app.statements import reconciliation_texts as texts
from app.statements.recon_models import ReconRun
from app.statements.reconciliation_ledger import AccountRow, PostingRow


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else to_major(fen, "CNY")


def _when(at: datetime | None) -> str:
    return at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") if at else ""


def runs() -> Response:
    header = [_("Bill day"), _("Status"), _("Rows"), _("Matched"), _("Missing here"), _("Repaired"),
              _("Missing at WeChat"), _("Amount differs"), _("State differs"), pgettext("exception", "Open"),
              _("Paid, bill (CNY)"), _("Paid, ours (CNY)"), _("Refunded, bill (CNY)"), _("Refunded, ours (CNY)"),
              _("Fees, bill (CNY)"), _("Fees, ours (CNY)"), _("Finished (Beijing time)"), _("Error")]
    rows = ([r.bill_date.isoformat(), texts.label(texts.RUN_STATUS, r.status.value), r.rows, r.matched,
             r.missing_here, r.repaired, r.missing_remote, r.amount_mismatch, r.state_mismatch, r.open_exceptions,
             _yuan(r.bill_paid_fen), _yuan(r.our_paid_fen), _yuan(r.bill_refund_fen), _yuan(r.our_refund_fen),
             _yuan(r.bill_fee_fen), _yuan(r.our_fee_fen), _when(r.finished_at), r.error or ""]
            for r in queries.all_runs())
    return csvio.response("reconciliation-runs.csv", header, rows)


def exceptions(run: ReconRun, filters: queries.ExceptionFilter) -> Response:
    header = [_("Kind"), _("Outcome"), _("Status"), _("Transaction id"), _("Merchant order number"),
              _("Refund number"), _("Traded (Beijing time)"), _("Ours (CNY)"), _("Bill (CNY)"), _("Our state"),
              _("Bill's state"), _("WeChat Pay's answer"), _("Details"), _("Note")]
    rows = ([texts.label(texts.KINDS, e.kind), texts.label(texts.OUTCOMES, e.outcome.value),
             texts.label(texts.EXCEPTION_STATUS, e.status.value), e.transaction_id or "", e.out_trade_no or "",
             e.out_refund_no or "", _when(e.traded_at), _yuan(e.our_fen), _yuan(e.bill_fen),
             texts.label(texts.OUR_STATES, e.our_state), e.bill_state or "", texts.label(texts.FINDINGS, e.finding),
             e.finding_detail or "", e.note or ""]
            for e in queries.all_exceptions(run.id, filters.status))
    return csvio.response(f"reconciliation-{run.bill_date:%Y%m%d}-exceptions.csv", header, rows)


def balances(accounts: Iterable[AccountRow]) -> Response:
    header = [_("Ledger account"), _("Code"), _("Party"), _("Balance (CNY)"), _("Postings")]
    rows = ([texts.label(texts.ACCOUNTS, a.code), a.code, a.party, _yuan(a.balance_fen), a.postings]
            for a in accounts)
    return csvio.response("ledger-balances.csv", header, rows)


def postings(account: AccountRow, found: Iterable[PostingRow]) -> Response:
    header = [_("Posted (Beijing time)"), _("Entry"), _("Event"), _("Order"), _("Debit (CNY)"), _("Credit (CNY)"),
              _("Memo")]
    rows = ([_when(p.occurred_at), texts.label(texts.ENTRY_KINDS, p.kind), p.event_key, p.order_number or "",
             _yuan(p.amount_fen) if p.amount_fen > 0 else None, _yuan(-p.amount_fen) if p.amount_fen < 0 else None,
             p.memo] for p in found)
    name = f"ledger-{account.code}" + (f"-{account.party_type}-{account.party_id}" if account.party_type else "")
    return csvio.response(f"{name}.csv", header, rows)
