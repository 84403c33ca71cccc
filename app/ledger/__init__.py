"""The books: double-entry postings in fen; balances are derived, never stored by hand.

Other domains use:
    post(event_key, kind, [Line(...)], ...)   one balanced entry per event, idempotent
    post_many([Entry(event_key, kind, lines, ...)])   many such entries at once (a day's fees)
    Line(code, amount_fen, party_type, party_id)
    balance(code, ...), balances(), entries_for_order(order_id), entry(event_key), trial_balance()
    reversal(entry, amount, against)     lines taking an amount back out of an entry's credits
    CLEARING, SUPPLIER_PAYABLE, TAX_HELD, COMMISSION, REFUNDS_DUE, WECHAT_FEES, BANK   the accounts
"""
from __future__ import annotations

from flask import Flask

from app.ledger.services import (
    BANK,
    CLEARING,
    COMMISSION,
    REFUNDS_DUE,
    SUPPLIER_PAYABLE,
    TAX_HELD,
    WECHAT_FEES,
    Entry,
    Line,
    Unbalanced,
    balance,
    balances,
    entries_for_order,
    entry,
    post,
    post_many,
    reversal,
    trial_balance,
)

__all__ = ["BANK", "CLEARING", "COMMISSION", "REFUNDS_DUE", "SUPPLIER_PAYABLE", "TAX_HELD", "WECHAT_FEES", "Entry", "Line", "Unbalanced",
           "balance", "balances", "entries_for_order", "entry", "post", "post_many", "register", "reversal", "trial_balance"]


def register(app: Flask) -> None:
    from app.ledger import models  # noqa: F401  (tables known to migrations)
