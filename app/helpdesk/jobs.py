"""The helpdesk's after-commit work: SLA warnings and breach records at their moment, and the
closing of resolved tickets nobody answered.

Each is promised (`core.jobs.after_commit(..., at=...)`) when its moment becomes known: a
clock's due time set, a ticket resolved. By the time it runs the clock may have been paused,
met or moved, so each looks again and does nothing unless the moment it was promised for
still stands; the dedup keys make a promise repeated for the same moment a no-op.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from app.core.jobs import task
from app.core.models import utcnow
from app.extensions import db
from app.helpdesk.models import SlaBreach, SlaClock, Ticket


def _clock(clock_id: int, due_stamp: int) -> SlaClock | None:
    """The clock, locked, if it still runs toward the due time the work was promised for."""
    clock = db.session.get(SlaClock, clock_id, with_for_update=True, populate_existing=True)
    if clock is None or clock.due_at is None or clock.running_since is None:
        return None
    return clock if int(clock.due_at.timestamp()) == due_stamp else None


@task(timeout=60, retries=5)
def sla_warning(clock_id: int, due_stamp: int, now: datetime | None = None) -> str:
    """Text the assignee that a target passes soon (once per clock and due time)."""
    from app.helpdesk import notices

    now = now or utcnow()
    clock = _clock(clock_id, due_stamp)
    if clock is None or clock.breached_at is not None or clock.due_at <= now:
        return "moved"  # or passed already: the breach record says so
    warn_at = clock.due_at - timedelta(minutes=int(current_app.config["HELPDESK_SLA_WARN_MINUTES"]))
    if warn_at > now + timedelta(seconds=1):
        return "early"
    ticket = db.session.get(Ticket, clock.ticket_id)
    sent = notices.at_risk(ticket, clock)
    clock.warned_at = now
    db.session.flush()
    return "warned" if sent else "nobody"


@task(timeout=60, retries=5)
def sla_breach(clock_id: int, due_stamp: int, now: datetime | None = None) -> str:
    """Record that a running clock passed its due time (once per clock), for reporting."""
    now = now or utcnow()
    clock = _clock(clock_id, due_stamp)
    if clock is None:
        return "moved"
    if clock.breached_at is not None:
        return "recorded"
    if clock.due_at > now + timedelta(seconds=1):
        return "early"
    ticket = db.session.get(Ticket, clock.ticket_id)
    clock.breached_at = now
    db.session.add(SlaBreach(clock_id=clock.id, ticket_id=ticket.id, company_id=ticket.company_id,
                             target=clock.target, ticket_type=ticket.type, priority=ticket.priority,
                             assignee_id=ticket.assignee_id, due_at=clock.due_at, breached_at=now))
    db.session.flush()
    return "breached"


@task(timeout=60, retries=5)
def auto_close(ticket_id: int, resolved_stamp: int) -> str:
    """Close a ticket resolved at `resolved_stamp` that nobody reopened since."""
    from app.helpdesk import services

    return "closed" if services.auto_close(ticket_id, resolved_stamp) else "reopened"
