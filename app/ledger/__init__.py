"""The books: double-entry postings in fen; balances are derived, never stored by hand.

Other domains use:
    post(event_key, kind, [Line(...)], ...)   one balanced entry per event, idempotent
    post_many([Entry(event_key, kind, lines, ...)])   many such entries at once (a day's fees)
    Line(code, amount_fen, party_type, party_id)
    balance(code, ...), balances(), entries_for_order(order_id), entry(event_key), trial_balance()
    reversal(entry, amount, against, party=)   lines taking an amount back out of an entry's credits
    CLEARING, SUPPLIER_PAYABLE, TAX_HELD, COMMISSION, REFUNDS_DUE, WECHAT_FEES, BANK, CUSTOMER   the accounts
    customer(company_id, amount)         a posting to a buyer company's account (party COMPANY)
    TAX_KINDS                            the party types TAX_HELD is kept by (vat, consumption_tax, tariff)
    models: JournalEntry, Posting, LedgerAccount   for read-only queries (statements, finance pages)
"""
from __future__ import annotations

from flask import Flask

from app.ledger.models import JournalEntry, LedgerAccount, Posting
from app.ledger.services import (
    BANK,
    CLEARING,
    COMMISSION,
    COMPANY,
    CUSTOMER,
    REFUNDS_DUE,
    SUPPLIER_PAYABLE,
    TAX_HELD,
    TAX_KINDS,
    WECHAT_FEES,
    Entry,
    Line,
    Unbalanced,
    balance,
    balances,
    customer,
    entries_for_order,
    entry,
    post,
    post_many,
    reversal,
    trial_balance,
)

__all__ = ["BANK", "CLEARING", "COMMISSION", "COMPANY", "CUSTOMER", "REFUNDS_DUE", "SUPPLIER_PAYABLE", "TAX_HELD",
           "TAX_KINDS", "WECHAT_FEES", "Entry", "JournalEntry", "LedgerAccount", "Line", "Posting", "Unbalanced",
           "balance", "balances", "customer", "entries_for_order", "entry", "post", "post_many", "register", "reversal",
           "trial_balance"]


def register(app: Flask) -> None:
    from app.ledger import models  # noqa: F401  (tables known to migrations)
