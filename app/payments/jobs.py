"""Payment tasks, run after the commit that promises them (app.core.jobs): polling an
attempt, closing a charge at its expiry, sending and confirming refunds; and the
sweep that resumes polling that was lost."""
from __future__ import annotations

from datetime import timedelta

from app.core.db import unit
from app.core.jobs import RetryLater, job_context, task
from app.core.models import utcnow
from app.extensions import db


@task(timeout=60, retries=3)
def poll_attempt(attempt_id: int, n: int) -> str:
    """Query one attempt (poll number `n`), apply what it reports, and schedule the next poll
    while the attempt is open and its charge unpaid and not yet expired."""
    from app.payments import services
    from app.payments.models import Attempt, AttemptStatus, ChargeStatus

    with job_context():
        attempt = db.session.get(Attempt, attempt_id)
        if attempt is None or attempt.status != AttemptStatus.OPEN:
            return "done"
        status = services.query(attempt, "poll")
        charge = attempt.charge
        db.session.refresh(charge)
        if charge.status != ChargeStatus.OPEN or (status is not None and status.is_paid):
            return "paid" if charge.status == ChargeStatus.PAID else charge.status.value
        delay = services.next_poll_delay(n)
        if utcnow() + timedelta(seconds=delay) < charge.expires_at:
            services._schedule_poll(attempt, n + 1, delay)
        return status.trade_state.value if status else "no answer"


@task(timeout=120, retries=20, backoff=(30, 60, 120, 300))
def expire_charge(charge_id: int) -> str:
    """At its expiry, close a charge with WeChat first; a payment WeChat reports wins."""
    from app.payments import closing
    from app.payments.models import Charge

    with job_context():
        charge = db.session.get(Charge, charge_id)
        if charge is None:
            return "gone"
        if charge.expires_at > utcnow() + timedelta(seconds=1):
            raise RetryLater("not expired yet")
        return closing.close(charge_id, "expired")


@task(timeout=120, retries=20, backoff=(30, 60, 120, 300))
def close_charge(charge_id: int, reason: str, actor_id: int | None = None) -> str:
    """Close a charge someone asked to close once WeChat lets us (its first five minutes)."""
    from app.payments import closing

    with job_context():
        return closing.close(charge_id, reason, actor_id=actor_id)


@task(timeout=60, retries=12, backoff=(10, 60, 300, 900, 1800, 3600), own_transactions=True)
def send_refund(refund_id: int) -> str:
    from app.payments import refunds

    with job_context():
        return refunds.send(refund_id)


@task(timeout=60, retries=48, backoff=(30, 60, 120, 300, 600, 1800))
def check_refund(refund_id: int) -> str:
    from app.payments import refunds

    with job_context():
        return refunds.check(refund_id)


@task(timeout=120, retries=20, backoff=(30, 60, 300, 900))
def send_declarations(charge_id: int) -> int:
    from app.payments import customs

    with job_context():
        return customs.send(charge_id)


@task(timeout=120, retries=60, backoff=(30, 60, 120, 300, 900))
def check_declarations(charge_id: int) -> str:
    from app.payments import customs

    with job_context():
        return customs.check(charge_id)


def resume_polling() -> int:
    """Every few minutes: open attempts whose polling stopped (its job lost for good) poll again."""
    from app.payments import queries, services

    with job_context():
        with unit():
            lost = queries.open_attempts_without_polling(timedelta(seconds=services.POLL_EVERY * 3))
            from app.core import jobs

            stamp = utcnow().strftime("%Y%m%d%H%M")
            for attempt in lost:
                jobs.after_commit(poll_attempt, attempt.id, attempt.polls + 1, key=f"poll:{attempt.id}:resume:{stamp}")
            return len(lost)
