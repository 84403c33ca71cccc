"""SLA time: due times in a 24×7 calendar and in business hours (holidays included), the
clocks pausing while the ticket waits for the customer and resuming when they write,
new targets when the priority changes, and the warning and breach work at its moment."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.core.jobs import Intent
from app.helpdesk import jobs, services, sla
from app.helpdesk.models import (
    NEVER, Priority, SlaBreach, SlaClock, SlaTarget, Ticket, TicketStatus, TicketType)
from app.helpdesk.sla import Hours
from tests.helpdesk.conftest import OFFICE_HOURS, policy, sms_to

CHINA = ZoneInfo("Asia/Shanghai")
OFFICE = Hours(CHINA, always=False, week=tuple(tuple(map(tuple, OFFICE_HOURS)) for _ in range(5)) + ((), ()),
               holidays=frozenset({datetime(2026, 10, 1).date()}))


def beijing(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA)


def clock(ticket: Ticket, target: SlaTarget) -> SlaClock:
    found = [c for c in sla.clocks_of(ticket) if c.target == target]
    assert found, f"no {target.value} clock"
    return found[-1]


# --- the calendars alone ------------------------------------------------------------------------

def test_office_hours_skip_the_evening_the_weekend_and_a_holiday():
    friday_evening = beijing(2026, 12, 4, 17, 30)          # a Friday
    assert OFFICE.add(friday_evening, 60 * 60) == beijing(2026, 12, 7, 9, 30)      # Monday morning
    assert OFFICE.add(beijing(2026, 12, 7, 11, 30), 60 * 60) == beijing(2026, 12, 7, 13, 30)  # over lunch
    assert OFFICE.add(beijing(2026, 9, 30, 17, 30), 60 * 60) == beijing(2026, 10, 2, 9, 30)   # 1 October off
    assert OFFICE.between(friday_evening, beijing(2026, 12, 7, 9, 30)) == 3600
    assert OFFICE.add(beijing(2026, 12, 5, 3, 0), 1) == beijing(2026, 12, 7, 9, 0, 1)  # Saturday night


@settings(max_examples=60, deadline=None)
@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                          timezones=st.just(timezone.utc)),
       seconds=st.integers(min_value=0, max_value=30 * 24 * 3600))
def test_working_time_added_is_the_working_time_between(start, seconds):
    for hours in (Hours(CHINA), OFFICE):
        due = hours.add(start, seconds)
        assert due >= start
        assert hours.between(start, due) == seconds


# --- clocks on tickets ----------------------------------------------------------------------------

def test_around_the_clock_due_times_pause_while_waiting_for_the_customer_and_resume(desk, customer, agent):
    opened = datetime(2026, 12, 8, 2, 0, tzinfo=timezone.utc)
    ticket = services.open_ticket(customer, customer.company_id, type=TicketType.INQUIRY, subject="额度",
                                  body="还剩多少额度？", now=opened)
    assert clock(ticket, SlaTarget.FIRST_RESPONSE).due_at == opened + timedelta(minutes=60)
    assert clock(ticket, SlaTarget.RESOLUTION).due_at == opened + timedelta(minutes=480)
    assert ticket.next_due_at == opened + timedelta(minutes=60)

    answered = opened + timedelta(minutes=30)
    services.agent_reply(ticket, agent, "请问是哪位收货人？", TicketStatus.PENDING_CUSTOMER, now=answered)
    assert ticket.status == TicketStatus.PENDING_CUSTOMER
    assert clock(ticket, SlaTarget.FIRST_RESPONSE).done_at == answered
    resolution = clock(ticket, SlaTarget.RESOLUTION)
    assert resolution.due_at is None and resolution.elapsed_seconds == 30 * 60
    assert ticket.next_due_at is None and ticket.due_sort == NEVER  # nothing runs while we wait

    back = answered + timedelta(hours=4, minutes=30)
    services.customer_reply(ticket, customer, "是张三。", now=back)
    assert ticket.status == TicketStatus.OPEN
    # The four and a half hours of waiting do not count: 450 of the 480 minutes are left.
    assert clock(ticket, SlaTarget.RESOLUTION).due_at == back + timedelta(minutes=450)
    assert clock(ticket, SlaTarget.NEXT_RESPONSE).due_at == back + timedelta(minutes=120)
    assert ticket.next_due_at == back + timedelta(minutes=120)


def test_business_hours_due_times_pause_and_resume_in_working_time(desk, customer, agent):
    friday = beijing(2026, 12, 4, 17, 30)
    ticket = services.open_ticket(customer, customer.company_id, type=TicketType.SUGGESTION, subject="建议",
                                  body="希望增加按供应商筛选。", now=friday)
    assert clock(ticket, SlaTarget.FIRST_RESPONSE).due_at == beijing(2026, 12, 7, 9, 30)
    assert clock(ticket, SlaTarget.RESOLUTION).due_at == beijing(2026, 12, 7, 17, 30)

    monday = beijing(2026, 12, 7, 10, 0)    # 30 minutes on Friday, 60 on Monday: 90 used
    services.agent_reply(ticket, agent, "能否说说具体场景？", TicketStatus.PENDING_CUSTOMER, now=monday)
    assert clock(ticket, SlaTarget.RESOLUTION).elapsed_seconds == 90 * 60

    tuesday = beijing(2026, 12, 8, 9, 0)
    services.customer_reply(ticket, customer, "订单很多，需要按供应商对账。", now=tuesday)
    # 390 working minutes left from Tuesday 09:00: three before lunch, three and a half after.
    assert clock(ticket, SlaTarget.RESOLUTION).due_at == beijing(2026, 12, 8, 16, 30)
    assert clock(ticket, SlaTarget.NEXT_RESPONSE).due_at == beijing(2026, 12, 8, 11, 0)


def test_a_new_priority_gives_the_running_clocks_its_targets(desk, customer, agent):
    policy(TicketType.COMPLAINT, Priority.URGENT, desk.always, 15, 30, 240)
    opened = datetime(2026, 12, 8, 2, 0, tzinfo=timezone.utc)
    ticket = services.open_ticket(customer, customer.company_id, type=TicketType.COMPLAINT, subject="破损",
                                  body="货物破损。", now=opened)
    assert ticket.priority == Priority.HIGH   # complaints start high
    services.set_details(ticket, agent, type=TicketType.COMPLAINT, priority=Priority.URGENT,
                         now=opened + timedelta(minutes=5))
    assert clock(ticket, SlaTarget.FIRST_RESPONSE).due_at == opened + timedelta(minutes=15)
    assert clock(ticket, SlaTarget.RESOLUTION).due_at == opened + timedelta(minutes=240)
    assert ticket.next_due_at == opened + timedelta(minutes=15)


def test_resolving_stops_the_clocks_and_a_customer_reply_reopens_them(desk, customer, agent):
    opened = datetime(2026, 12, 8, 2, 0, tzinfo=timezone.utc)
    ticket = services.open_ticket(customer, customer.company_id, type=TicketType.INQUIRY, subject="发票",
                                  body="发票怎么开？", now=opened)
    services.agent_reply(ticket, agent, "在订单页下载。", TicketStatus.RESOLVED, now=opened + timedelta(minutes=100))
    assert ticket.status == TicketStatus.RESOLVED and ticket.next_due_at is None
    later = opened + timedelta(days=1)
    services.customer_reply(ticket, customer, "找不到下载按钮。", now=later)
    assert ticket.status == TicketStatus.OPEN
    assert clock(ticket, SlaTarget.RESOLUTION).due_at == later + timedelta(minutes=380)
    assert clock(ticket, SlaTarget.NEXT_RESPONSE).due_at == later + timedelta(minutes=120)


# --- warnings and breaches at their moment -----------------------------------------------------------

def test_due_times_promise_a_warning_and_a_breach_check_at_their_moments(desk, customer, app, db_session):
    opened = datetime(2026, 12, 8, 2, 0, tzinfo=timezone.utc)
    ticket = services.open_ticket(customer, customer.company_id, type=TicketType.INQUIRY, subject="问",
                                  body="问题", now=opened)
    first = clock(ticket, SlaTarget.FIRST_RESPONSE)
    stamp = int(first.due_at.timestamp())
    intents = {i.key: i for i in db_session.scalars(
        select(Intent).where(Intent.key.like(f"helpdesk-sla-%:{first.id}:%")))}
    warn_before = timedelta(minutes=app.config["HELPDESK_SLA_WARN_MINUTES"])
    assert intents[f"helpdesk-sla-warn:{first.id}:{stamp}"].run_after == first.due_at - warn_before
    assert intents[f"helpdesk-sla-breach:{first.id}:{stamp}"].run_after == first.due_at


def test_the_assignee_is_warned_once_and_a_breach_is_recorded_once(desk, customer, agent, other_agent):
    opened = datetime(2026, 12, 8, 2, 0, tzinfo=timezone.utc)
    ticket = services.open_ticket(customer, customer.company_id, type=TicketType.INQUIRY, subject="问",
                                  body="问题", now=opened)
    services.assign(ticket, other_agent, agent.id, now=opened)
    first = clock(ticket, SlaTarget.FIRST_RESPONSE)
    stamp = int(first.due_at.timestamp())
    soon = first.due_at - timedelta(minutes=10)
    assert jobs.sla_warning(first.id, stamp, now=soon) == "warned"
    assert jobs.sla_warning(first.id, stamp, now=soon) == "warned"   # run twice: one SMS
    warnings = [m for m in sms_to(agent.phone) if m.event == "ticket_sla_risk"]
    assert len(warnings) == 1 and ticket.number in warnings[0].body
    assert "12-08 11:00" in warnings[0].body  # Beijing time
    assert [m.event for m in sms_to(agent.phone)] == ["ticket_assigned", "ticket_sla_risk"]

    late = first.due_at + timedelta(seconds=5)
    assert jobs.sla_breach(first.id, stamp, now=late) == "breached"
    assert jobs.sla_breach(first.id, stamp, now=late) == "recorded"
    breach = db_session_scalar(select(SlaBreach).where(SlaBreach.ticket_id == ticket.id))
    assert (breach.target, breach.assignee_id, breach.due_at, breach.priority) == (
        SlaTarget.FIRST_RESPONSE, agent.id, first.due_at, Priority.NORMAL)


def test_work_promised_for_a_due_time_that_moved_does_nothing(desk, customer, agent):
    opened = datetime(2026, 12, 8, 2, 0, tzinfo=timezone.utc)
    ticket = services.open_ticket(customer, customer.company_id, type=TicketType.INQUIRY, subject="问",
                                  body="问题", now=opened)
    resolution = clock(ticket, SlaTarget.RESOLUTION)
    stamp = int(resolution.due_at.timestamp())
    services.agent_reply(ticket, agent, "请补充信息。", TicketStatus.PENDING_CUSTOMER, now=opened + timedelta(minutes=5))
    assert jobs.sla_warning(resolution.id, stamp, now=opened + timedelta(minutes=470)) == "moved"
    assert jobs.sla_breach(resolution.id, stamp, now=opened + timedelta(minutes=481)) == "moved"
    assert db_session_scalar(select(SlaBreach.id).where(SlaBreach.ticket_id == ticket.id)) is None
    assert not [m for m in sms_to(agent.phone) if m.event == "ticket_sla_risk"]


def test_a_resolved_ticket_nobody_answers_closes_itself_unless_reopened(desk, customer, agent):
    opened = datetime(2026, 12, 8, 2, 0, tzinfo=timezone.utc)
    ticket = services.open_ticket(customer, customer.company_id, type=TicketType.INQUIRY, subject="问",
                                  body="问题", now=opened)
    services.agent_reply(ticket, agent, "已解决。", TicketStatus.RESOLVED, now=opened + timedelta(minutes=5))
    stamp = int(ticket.resolved_at.timestamp())
    services.customer_reply(ticket, customer, "还有一个问题。", now=opened + timedelta(hours=1))
    assert jobs.auto_close(ticket.id, stamp) == "reopened" and ticket.status == TicketStatus.OPEN
    services.set_status(ticket, agent, TicketStatus.RESOLVED, now=opened + timedelta(hours=2))
    assert jobs.auto_close(ticket.id, int(ticket.resolved_at.timestamp())) == "closed"
    assert ticket.status == TicketStatus.CLOSED and ticket.closed_at is not None


def db_session_scalar(stmt):
    from app.extensions import db

    return db.session.scalar(stmt)
