"""Every SMS the helpdesk sends, through the notification layer and each person's preferences.

The texts carry the ticket number and, for agents, a due time: never a message's words,
so nothing written in a ticket (an internal note least of all) can reach a phone.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from app import accounts, notifications
from app.accounts.models import User
from app.extensions import db
from app.helpdesk.models import Message, SlaClock, Ticket

CHINA = ZoneInfo("Asia/Shanghai")


def _to(user_id: int | None):
    user = db.session.get(User, user_id) if user_id else None
    return accounts.recipient(user) if user is not None else None


def replied(ticket: Ticket, message: Message) -> None:
    """The buyer who opened the ticket hears of an agent's public reply."""
    notifications.notify("ticket_replied", _to(ticket.requester_id), about=ticket,
                         dedup_key=f"helpdesk-reply:{message.id}", ticket_no=ticket.number)


def resolved(ticket: Ticket) -> None:
    stamp = int(ticket.resolved_at.timestamp()) if ticket.resolved_at else 0
    notifications.notify("ticket_resolved", _to(ticket.requester_id), about=ticket,
                         dedup_key=f"helpdesk-resolved:{ticket.id}:{stamp}", ticket_no=ticket.number)


def assigned(ticket: Ticket, assignee_id: int, at: datetime) -> None:
    notifications.notify("ticket_assigned", _to(assignee_id), about=ticket,
                         dedup_key=f"helpdesk-assigned:{ticket.id}:{assignee_id}:{int(at.timestamp())}",
                         ticket_no=ticket.number)


def at_risk(ticket: Ticket, clock: SlaClock) -> bool:
    """Warn the assignee that a target is about to pass; False when nobody is assigned."""
    if ticket.assignee_id is None or clock.due_at is None:
        return False
    due = clock.due_at.astimezone(CHINA).strftime("%m-%d %H:%M")
    sent = notifications.notify("ticket_sla_risk", _to(ticket.assignee_id), about=ticket,
                                dedup_key=f"helpdesk-sla-risk:{clock.id}:{int(clock.due_at.timestamp())}",
                                ticket_no=ticket.number, due=due)
    return sent is not None
