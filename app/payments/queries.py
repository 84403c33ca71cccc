"""Read-only payment queries for lists: charges with their attempts and payments, in batches."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.core.models import utcnow
from app.extensions import db
from app.payments.models import Attempt, AttemptStatus, Charge, ChargeStatus, Payment, Query


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


def payments_of(charge_id: int) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.charge_id == charge_id).order_by(Payment.id)))


def queries_of(charge_id: int) -> list[Query]:
    return list(db.session.scalars(
        select(Query).join(Attempt).where(Attempt.charge_id == charge_id).order_by(Query.id)))


def open_attempts_without_polling(older_than: timedelta, now: datetime | None = None) -> list[Attempt]:
    """Open attempts of open charges not polled for a while: their polling was lost."""
    now = now or utcnow()
    last = func.coalesce(Attempt.last_polled_at, Attempt.created_at)
    return list(db.session.scalars(
        select(Attempt).join(Charge).where(Attempt.status == AttemptStatus.OPEN, Charge.status == ChargeStatus.OPEN,
                                           Attempt.prepay_id.is_not(None), last < now - older_than,
                                           Charge.expires_at > now)
        .limit(500)))
