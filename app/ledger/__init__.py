"""The books: double-entry postings in fen; balances are derived, never stored by hand.

Other domains use:
    post(event_key, kind, [Line(...)], ...)   one balanced entry per event, idempotent
    Line(code, amount_fen, party_type, party_id)
    balance(code, ...), balances(), entries_for_order(order_id), trial_balance()
    CLEARING, SUPPLIER_PAYABLE, TAX_HELD, COMMISSION, REFUNDS_DUE   the accounts
"""
from __future__ import annotations

from flask import Flask

from app.ledger.services import (
    CLEARING,
    COMMISSION,
    REFUNDS_DUE,
    SUPPLIER_PAYABLE,
    TAX_HELD,
    Line,
    Unbalanced,
    balance,
    balances,
    entries_for_order,
    post,
    trial_balance,
)

__all__ = ["CLEARING", "COMMISSION", "REFUNDS_DUE", "SUPPLIER_PAYABLE", "TAX_HELD", "Line", "Unbalanced",
           "balance", "balances", "entries_for_order", "post", "register", "trial_balance"]


def register(app: Flask) -> None:
    from app.ledger import models  # noqa: F401  (tables known to migrations)
