"""SLA time: calendars (around the clock, or working hours with holidays) and the clocks
that count each target of a ticket in them.

A clock runs while the ticket is worked on, pauses while it waits for the customer, and
is done when its target is met (or the ticket is resolved or closed). Its due time is
always `target - elapsed` of calendar time after it last started running, so a pause of
any length moves the due time by exactly the paused calendar time. Each time a clock's
due time is set, a warning (SLA_WARN_MINUTES before) and a breach check (at the due
time) are promised as after-commit work; they look at the clock again when they run
and do nothing when its due time has moved since.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.core import jobs
from app.extensions import db
from app.helpdesk.models import NEVER, Calendar, SlaClock, SlaPolicy, SlaTarget, Ticket, TicketStatus

DAY_MINUTES = 24 * 60
# A business-hours calendar with no working time at all would never reach a due time.
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Hours:
    """A calendar as arithmetic: pure, no database."""

    zone: ZoneInfo
    always: bool = True
    week: tuple[tuple[tuple[int, int], ...], ...] = ((),) * 7   # Monday first: (start, end) minutes
    holidays: frozenset[date] = frozenset()

    @classmethod
    def of(cls, calendar: Calendar) -> Hours:
        week = tuple(tuple((int(a), int(b)) for a, b in (calendar.hours[d] if d < len(calendar.hours) else ()))
                     for d in range(7))
        return cls(ZoneInfo(calendar.timezone), calendar.always_open, week,
                   frozenset(date.fromisoformat(d) for d in calendar.holidays or ()))

    def _spans(self, day: date) -> Iterable[tuple[datetime, datetime]]:
        if day in self.holidays:
            return
        for start, end in self.week[day.weekday()]:
            begin = datetime.combine(day, time(), self.zone) + timedelta(minutes=start)
            yield begin, datetime.combine(day, time(), self.zone) + timedelta(minutes=end)

    def add(self, start: datetime, seconds: int) -> datetime:
        """The moment `seconds` of working time after `start` (`start` itself for 0 or less)."""
        if seconds <= 0:
            return start
        if self.always:
            return start + timedelta(seconds=seconds)
        left = timedelta(seconds=seconds)
        day = start.astimezone(self.zone).date()
        for _ in range(MAX_DAYS):
            for begin, end in self._spans(day):
                begin = max(begin, start)
                if end <= begin:
                    continue
                if end - begin >= left:
                    return (begin + left).astimezone(start.tzinfo)
                left -= end - begin
            day += timedelta(days=1)
        raise ValueError("this calendar has no working time")

    def between(self, start: datetime, end: datetime) -> int:
        """Seconds of working time from `start` to `end` (0 when `end` is not later)."""
        if end <= start:
            return 0
        if self.always:
            return int((end - start).total_seconds())
        total = timedelta()
        day, last = start.astimezone(self.zone).date(), end.astimezone(self.zone).date()
        while day <= last:
            for begin, finish in self._spans(day):
                begin, finish = max(begin, start), min(finish, end)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return int(total.total_seconds())


def hours_of(calendar_id: int) -> Hours:
    return Hours.of(db.session.get(Calendar, calendar_id))


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    return db.session.scalar(select(SlaPolicy).where(SlaPolicy.ticket_type == ticket.type,
                                                     SlaPolicy.priority == ticket.priority))


def clocks_of(ticket: Ticket) -> list[SlaClock]:
    if ticket.id is None:
        return []
    return list(db.session.scalars(select(SlaClock).where(SlaClock.ticket_id == ticket.id).order_by(SlaClock.id)))


# --- one clock -------------------------------------------------------------------------------

def _set_due(clock: SlaClock, now: datetime) -> None:
    hours = hours_of(clock.calendar_id)
    clock.due_at = hours.add(clock.running_since, clock.target_seconds - clock.elapsed_seconds)
    if clock.id is None:
        db.session.flush()
    _promise_checks(clock, now)


def _promise_checks(clock: SlaClock, now: datetime) -> None:
    from app.helpdesk import jobs as tasks

    due = clock.due_at
    stamp = int(due.timestamp())
    warn_at = due - timedelta(minutes=int(current_app.config["HELPDESK_SLA_WARN_MINUTES"]))
    if due > now:
        jobs.after_commit(tasks.sla_warning, clock.id, stamp, key=f"helpdesk-sla-warn:{clock.id}:{stamp}",
                          at=max(warn_at, now))
    jobs.after_commit(tasks.sla_breach, clock.id, stamp, key=f"helpdesk-sla-breach:{clock.id}:{stamp}",
                      at=max(due, now))


def start(ticket: Ticket, target: SlaTarget, now: datetime) -> SlaClock | None:
    """A new running clock for `target` under the ticket's policy (None without a policy)."""
    policy = db.session.get(SlaPolicy, ticket.policy_id) if ticket.policy_id else None
    if policy is None:
        return None
    clock = SlaClock(ticket_id=ticket.id, target=target, calendar_id=policy.calendar_id,
                     target_seconds=policy.minutes(target) * 60, elapsed_seconds=0, started_at=now, running_since=now)
    db.session.add(clock)
    _set_due(clock, now)
    return clock


def pause(clock: SlaClock, now: datetime, *, done: bool = False) -> None:
    """Stop the clock, keeping the working time it used; `done` when its target is met."""
    if clock.running_since is not None:
        clock.elapsed_seconds += hours_of(clock.calendar_id).between(clock.running_since, now)
        clock.running_since = None
        clock.due_at = None
    if done and clock.done_at is None:
        clock.done_at = now


def resume(clock: SlaClock, now: datetime) -> None:
    """Run a paused (or done) clock again from `now`, with the time it has left."""
    if clock.running_since is None:
        clock.done_at = None
        clock.running_since = now
        _set_due(clock, now)


def retarget(clock: SlaClock, policy: SlaPolicy, now: datetime) -> None:
    """Apply another policy's target (the ticket's priority or type changed)."""
    clock.target_seconds = policy.minutes(clock.target) * 60
    if clock.running_since is not None:
        clock.elapsed_seconds += hours_of(clock.calendar_id).between(clock.running_since, now)
        clock.running_since = now
    clock.calendar_id = policy.calendar_id
    if clock.running_since is not None:
        _set_due(clock, now)


# --- a ticket's clocks --------------------------------------------------------------------------

def refresh_due(ticket: Ticket, clocks: Iterable[SlaClock]) -> None:
    """The ticket's next due time: the earliest of its running clocks."""
    dues = [c.due_at for c in clocks if c.running_since is not None and c.due_at is not None]
    ticket.next_due_at = min(dues) if dues else None
    ticket.due_sort = ticket.next_due_at or NEVER


def opened(ticket: Ticket, now: datetime) -> None:
    """A new ticket: its first response and resolution clocks start."""
    policy = policy_for(ticket)
    ticket.policy_id = policy.id if policy else None
    clocks = [c for c in (start(ticket, SlaTarget.FIRST_RESPONSE, now), start(ticket, SlaTarget.RESOLUTION, now)) if c]
    refresh_due(ticket, clocks)


def agent_replied(ticket: Ticket, now: datetime) -> None:
    """A public reply meets the first (or next) response target."""
    clocks = clocks_of(ticket)
    for clock in clocks:
        if clock.target != SlaTarget.RESOLUTION and clock.done_at is None:
            pause(clock, now, done=True)
    refresh_due(ticket, clocks)


def customer_wrote(ticket: Ticket, now: datetime, *, reopened: bool) -> None:
    """The customer wrote: paused clocks run again (a reopened ticket's resolution too), and
    once the first response is out, a next-response clock starts unless one runs already."""
    clocks = clocks_of(ticket)
    for clock in clocks:
        if clock.paused or (reopened and clock.target == SlaTarget.RESOLUTION):
            resume(clock, now)
    answered = ticket.first_response_at is not None
    waiting = any(c.target == SlaTarget.NEXT_RESPONSE and c.done_at is None for c in clocks)
    if answered and not waiting:
        clock = start(ticket, SlaTarget.NEXT_RESPONSE, now)
        if clock is not None:
            clocks.append(clock)
    refresh_due(ticket, clocks)


def paused(ticket: Ticket, now: datetime) -> None:
    """The ticket waits for the customer: every running clock pauses."""
    clocks = clocks_of(ticket)
    for clock in clocks:
        pause(clock, now)
    refresh_due(ticket, clocks)


def reopened(ticket: Ticket, now: datetime) -> None:
    """An agent set the ticket open again: paused clocks and the resolution clock run."""
    clocks = clocks_of(ticket)
    for clock in clocks:
        if clock.paused or clock.target == SlaTarget.RESOLUTION:
            resume(clock, now)
    refresh_due(ticket, clocks)


def finished(ticket: Ticket, now: datetime) -> None:
    """Resolved or closed: every clock is done."""
    clocks = clocks_of(ticket)
    for clock in clocks:
        pause(clock, now, done=True)
    refresh_due(ticket, clocks)


def policy_changed(ticket: Ticket, now: datetime) -> None:
    """The type or priority changed: the clocks not yet done take the new policy's targets."""
    policy = policy_for(ticket)
    ticket.policy_id = policy.id if policy else None
    clocks = clocks_of(ticket)
    if policy is None:
        for clock in clocks:
            pause(clock, now, done=True)
    else:
        for clock in clocks:
            if clock.done_at is None:
                retarget(clock, policy, now)
        if not clocks and ticket.status in (TicketStatus.NEW, TicketStatus.OPEN):
            targets = [SlaTarget.RESOLUTION] + ([SlaTarget.FIRST_RESPONSE] if ticket.first_response_at is None else [])
            clocks = [c for c in (start(ticket, t, now) for t in targets) if c]
    refresh_due(ticket, clocks)
