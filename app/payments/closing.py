"""Closing a charge: WeChat is asked to close every attempt first, and a payment that
lands meanwhile wins (it is applied, and the owner hears it was paid, not closed)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from app.core import audit, jobs, states
from app.core.models import utcnow
from app.extensions import db
from app.payments import gateway as gw
from app.payments.models import ATTEMPT_MACHINE, CHARGE_MACHINE, AttemptStatus, Charge, ChargeStatus
from app.payments.services import CLOSE_NOT_BEFORE, _lock_charge, get_gateway, owner_of, query


class CloseLater(jobs.RetryLater):
    """WeChat cannot close yet (its first five minutes, or it did not answer)."""

    def __init__(self, not_before: datetime) -> None:
        super().__init__(f"WeChat cannot close before {not_before.isoformat()}")
        self.not_before = not_before


def close(charge_id: int, reason: str, *, actor_id: int | None = None, now: datetime | None = None) -> str:
    """Stop taking payment for a charge: close every attempt with WeChat first.

    Returns "closed" (the owner was told), "paid" (WeChat said an attempt was paid:
    the payment wins and was applied) or "already" (paid or closed before). Raises
    CloseLater when WeChat cannot close an attempt yet; the charge then refuses new
    prepays until it is closed.
    """
    now = now or utcnow()
    charge = _lock_charge(charge_id)
    if charge.status != ChargeStatus.OPEN:
        return "already"
    waiting: list[datetime] = []
    for attempt in list(charge.attempts):
        if attempt.status != AttemptStatus.OPEN:
            continue
        if attempt.created_at + CLOSE_NOT_BEFORE > now:
            waiting.append(attempt.created_at + CLOSE_NOT_BEFORE)
            continue
        try:
            get_gateway().close_order(attempt.out_trade_no)
        except gw.OrderAlreadyPaid:
            query(attempt, "close")
            if db.session.get(Charge, charge_id).status == ChargeStatus.PAID:
                return "paid"
            waiting.append(now + timedelta(seconds=30))
            continue
        except (gw.OrderAlreadyClosed, gw.OrderNotFound):
            pass
        except gw.GatewayError as e:
            current_app.logger.info("close %s: %s; trying again", attempt.out_trade_no, e)
            waiting.append(now + timedelta(seconds=30))
            continue
        # Closed at WeChat; one last look, since a payment may have landed just before.
        status = query(attempt, "close")
        if db.session.get(Charge, charge_id).status == ChargeStatus.PAID:
            return "paid"
        if status is None or not status.is_paid:
            states.apply(ATTEMPT_MACHINE, attempt, AttemptStatus.CLOSED, at=now, note=reason)
    if waiting:
        if charge.closing_since is None:
            charge.closing_since = now
            audit.record(charge, "closing", actor_id=actor_id, note=reason)
        db.session.flush()
        raise CloseLater(max(waiting))
    states.apply(CHARGE_MACHINE, charge, ChargeStatus.CLOSED, at=now, actor_id=actor_id, note=reason)
    owner_of(charge).on_closed(charge.owner_id, reason)
    return "closed"


def request_close(charge_id: int, reason: str, *, actor_id: int | None = None) -> str:
    """Close now if WeChat lets us; otherwise refuse new prepays and close as soon as it does."""
    from app.payments.jobs import close_charge

    try:
        return close(charge_id, reason, actor_id=actor_id)
    except CloseLater as later:
        jobs.after_commit(close_charge, charge_id, reason, actor_id, key=f"charge-close:{charge_id}", at=later.not_before)
        return "closing"
