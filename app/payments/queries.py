"""Read-only payment queries for lists: charges with their attempts and payments, in batches."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.payments.models import Charge, Payment


def charges_for(owner_type: str, owner_ids: Iterable[int]) -> dict[int, Charge]:
    """The charges of these owners by owner id, attempts and payments loaded: three queries
    however many owners (at most a page of them)."""
    ids = sorted(set(owner_ids))
    if not ids:
        return {}
    charges = db.session.scalars(
        select(Charge).options(selectinload(Charge.attempts), selectinload(Charge.payments))
        .where(Charge.owner_type == owner_type, Charge.owner_id.in_(ids)))
    return {c.owner_id: c for c in charges}


def paid_by(charge: Charge) -> Payment | None:
    """The payment that paid the charge (a later, extra one is refunded), or None."""
    return next((p for p in charge.payments if not p.extra), None)


def out_trade_no(charge: Charge) -> str:
    """The number WeChat Pay knows the charge by: its paid attempt's, else its latest
    attempt's, else the charge's own number (the base every attempt number extends)."""
    payment = paid_by(charge)
    if payment is not None:
        return next(a.out_trade_no for a in charge.attempts if a.id == payment.attempt_id)
    if charge.attempts:
        return max(charge.attempts, key=lambda a: a.id).out_trade_no
    return charge.number
