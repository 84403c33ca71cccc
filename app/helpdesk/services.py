"""A ticket's life: opened by a buyer, answered by agents, waiting for the customer,
resolved, reopened by a customer reply, closed, rated.

Every function changes rows and flushes; the request, command or job commits. Status
changes go through `core.states.apply` (the audit log records who and when); the SLA
clocks follow each change (`sla`); SMS go out after the commit (`notices`).
"""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import audit, jobs, states
from app.core.auth import has_role
from app.core.errors import DomainError, NotFound
from app.core.models import utcnow
from app.extensions import db
from app.helpdesk import attachments, notices, sla
from app.helpdesk.attachments import Upload
from app.helpdesk.models import TICKET_MACHINE, Message, MessageKind, Priority, Ticket, TicketStatus, TicketType

# A complaint is someone unhappy now; a suggestion can wait.
DEFAULT_PRIORITY = {TicketType.COMPLAINT: Priority.HIGH, TicketType.INQUIRY: Priority.NORMAL,
                    TicketType.SUGGESTION: Priority.LOW}
AFTER_REPLY = (TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED)
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_number(now: datetime | None = None) -> str:
    """"T" + the Beijing date (yymmdd) + 6 random characters that cannot be misread."""
    day = (now or utcnow()).astimezone(notices.CHINA).strftime("%y%m%d")
    return "T" + day + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def _text(value: str | None, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(_l("This field is required."), field, code="required")
    return text


def _closed(ticket: Ticket) -> None:
    if ticket.status == TicketStatus.CLOSED:
        raise states.IllegalTransition(TICKET_MACHINE, ticket, ticket.status, TicketStatus.OPEN,
                                       _l("This ticket is closed. Open a new ticket if you need more help."))


def _message(ticket: Ticket, author_id: int, kind: MessageKind, body: str, accepted=(), now=None) -> Message:
    message = Message(ticket_id=ticket.id, author_id=author_id, kind=kind, body=body, created_at=now or utcnow())
    db.session.add(message)
    db.session.flush()
    if accepted:
        attachments.attach(message, accepted)
    return message


def get(ticket_id: int, *, company_id: int | None = None, lock: bool = False) -> Ticket:
    """One ticket (of `company_id` when given); NotFound otherwise, another company's included."""
    stmt = select(Ticket).where(Ticket.id == ticket_id)
    if company_id is not None:
        stmt = stmt.where(Ticket.company_id == company_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    ticket = db.session.scalar(stmt)
    if ticket is None:
        raise NotFound(_l("There is no such ticket."), "ticket_id")
    return ticket


# --- the buyer's side --------------------------------------------------------------------------

def open_ticket(user, company_id: int, *, type: TicketType, subject: str, body: str, order_id: int | None = None,
                uploads: Sequence[Upload] = (), now: datetime | None = None) -> Ticket:
    """Open a ticket for the user's company, about one of its orders if given.

    Raises DomainError for a blank subject or message, an order of another company (or
    none), or an attachment that is too large or not an image or PDF; nothing is kept then.
    """
    from app.orders import services as orders

    now = now or utcnow()
    subject, body = _text(subject, "subject"), _text(body, "message")
    if order_id is not None:
        try:
            orders.get(order_id, company_id)
        except NotFound:
            raise DomainError(_l("Choose one of your company's orders."), "order_id", code="order_id") from None
    accepted = attachments.checked(uploads)
    ticket = Ticket(number=new_number(now), company_id=company_id, requester_id=user.id, type=type,
                    priority=DEFAULT_PRIORITY[type], subject=subject, order_id=order_id, last_message_at=now,
                    last_message_by="customer", created_at=now, updated_at=now)
    db.session.add(ticket)
    db.session.flush()
    _message(ticket, user.id, MessageKind.CUSTOMER, body, accepted, now)
    sla.opened(ticket, now)
    audit.record(ticket, "opened", actor_id=user.id, at=now)
    db.session.flush()
    return ticket


def customer_reply(ticket: Ticket, user, body: str, uploads: Sequence[Upload] = (),
                   now: datetime | None = None) -> Message:
    """The customer writes again: a ticket waiting for them or resolved is open again, and
    its clocks run. Refused on a closed ticket."""
    now = now or utcnow()
    _closed(ticket)
    body = _text(body, "message")
    accepted = attachments.checked(uploads)
    message = _message(ticket, user.id, MessageKind.CUSTOMER, body, accepted, now)
    previous = ticket.status
    if previous in (TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED):
        states.apply(TICKET_MACHINE, ticket, TicketStatus.OPEN, actor_id=user.id, at=now, note="customer replied")
    ticket.last_message_at, ticket.last_message_by, ticket.updated_at = now, "customer", now
    sla.customer_wrote(ticket, now, reopened=previous == TicketStatus.RESOLVED)
    db.session.flush()
    return message


def close(ticket: Ticket, user, now: datetime | None = None) -> Ticket:
    """The customer (or an agent) closes the ticket for good."""
    _move(ticket, TicketStatus.CLOSED, user.id, now or utcnow())
    db.session.flush()
    return ticket


def rate(ticket: Ticket, user, rating: int, comment: str | None = None, now: datetime | None = None) -> Ticket:
    """Rate the answer from 1 to 5, once, after the ticket was resolved."""
    if ticket.resolved_at is None or ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        raise DomainError(_l("A ticket can be rated once it is resolved."), code="not_resolved", status=409)
    if ticket.rated_at is not None:
        raise DomainError(_l("This ticket has been rated already."), code="rated", status=409)
    if not 1 <= rating <= 5:
        raise DomainError(_l("Choose from 1 to 5 stars."), "rating", code="rating")
    ticket.rating, ticket.rating_comment = rating, (comment or "").strip() or None
    ticket.rated_at = now or utcnow()
    audit.record(ticket, "rated", actor_id=user.id, note=str(rating))
    db.session.flush()
    return ticket


# --- the agent's side --------------------------------------------------------------------------

def _move(ticket: Ticket, wanted: TicketStatus, actor_id: int | None, now: datetime, note: str | None = None) -> None:
    """Apply a status change and what follows from it for the clocks (and the auto-close)."""
    previous = ticket.status
    if previous == wanted:
        return
    states.apply(TICKET_MACHINE, ticket, wanted, actor_id=actor_id, at=now, note=note)
    ticket.updated_at = now
    if wanted == TicketStatus.PENDING_CUSTOMER:
        sla.paused(ticket, now)
    elif wanted in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        sla.finished(ticket, now)
    elif previous in (TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED):
        sla.reopened(ticket, now)
    if wanted == TicketStatus.RESOLVED:
        _close_later(ticket)


def _close_later(ticket: Ticket) -> None:
    from app.helpdesk import jobs as tasks

    stamp = int(ticket.resolved_at.timestamp())
    days = int(current_app.config["HELPDESK_AUTO_CLOSE_DAYS"])
    jobs.after_commit(tasks.auto_close, ticket.id, stamp, key=f"helpdesk-auto-close:{ticket.id}:{stamp}",
                      at=ticket.resolved_at + timedelta(days=days))


def agent_reply(ticket: Ticket, agent, body: str, then: TicketStatus = TicketStatus.PENDING_CUSTOMER,
                uploads: Sequence[Upload] = (), now: datetime | None = None) -> Message:
    """A public reply, then the status the agent chose (open, waiting for the customer,
    resolved). The buyer gets an SMS; an unassigned ticket becomes the agent's."""
    now = now or utcnow()
    _closed(ticket)
    if then not in AFTER_REPLY:
        raise DomainError(_l("Choose what happens after the reply."), "then", code="then")
    body = _text(body, "message")
    accepted = attachments.checked(uploads)
    message = _message(ticket, agent.id, MessageKind.AGENT, body, accepted, now)
    if ticket.assignee_id is None:
        ticket.assignee_id = agent.id
        audit.record(ticket, "assigned", actor_id=agent.id, note=agent.name, at=now)
    ticket.first_response_at = ticket.first_response_at or now
    ticket.last_message_at, ticket.last_message_by, ticket.updated_at = now, "agent", now
    sla.agent_replied(ticket, now)
    _move(ticket, then, agent.id, now)
    db.session.flush()
    if then == TicketStatus.RESOLVED:
        notices.resolved(ticket)
    else:
        notices.replied(ticket, message)
    return message


def add_note(ticket: Ticket, agent, body: str, now: datetime | None = None) -> Message:
    """An internal note: agents see it, the buyer never does (no page, SMS or API shows it)."""
    return _message(ticket, agent.id, MessageKind.NOTE, _text(body, "note"), (), now or utcnow())


def set_status(ticket: Ticket, agent, wanted: TicketStatus, now: datetime | None = None) -> Ticket:
    """An agent moves the ticket (a resolution texts the buyer)."""
    now = now or utcnow()
    if wanted == TicketStatus.NEW:
        raise DomainError(_l("A ticket cannot be made new again."), "status", code="status")
    _move(ticket, wanted, agent.id, now)
    db.session.flush()
    if wanted == TicketStatus.RESOLVED:
        notices.resolved(ticket)
    return ticket


def is_agent(user) -> bool:
    return user is not None and user.active and has_role(user, "agent")


def assign(ticket: Ticket, actor, assignee_id: int | None, now: datetime | None = None) -> Ticket:
    """Give the ticket to an agent (None: back to the unassigned queue); the agent is texted
    unless they took it themselves. DomainError for anyone who is not an active agent."""
    from app.accounts.models import User

    now = now or utcnow()
    assignee = db.session.get(User, assignee_id) if assignee_id is not None else None
    if assignee_id is not None and not is_agent(assignee):
        raise DomainError(_l("Choose a support agent."), "assignee", code="assignee")
    new_id = assignee.id if assignee is not None else None
    if ticket.assignee_id == new_id:
        return ticket
    ticket.assignee_id, ticket.updated_at = new_id, now
    audit.record(ticket, "assigned" if assignee else "unassigned", actor_id=actor.id,
                 note=assignee.name if assignee else None, at=now)
    db.session.flush()
    if assignee is not None and assignee.id != actor.id:
        notices.assigned(ticket, assignee.id, now)
    return ticket


def set_details(ticket: Ticket, actor, *, type: TicketType, priority: Priority, now: datetime | None = None) -> Ticket:
    """Change the type or priority: the clocks not yet done take the matching policy's targets."""
    now = now or utcnow()
    if (ticket.type, ticket.priority) == (type, priority):
        return ticket
    note = f"{ticket.type.value}/{ticket.priority.value} → {type.value}/{priority.value}"
    ticket.type, ticket.priority, ticket.updated_at = type, priority, now
    sla.policy_changed(ticket, now)
    audit.record(ticket, "details", actor_id=actor.id, note=note, at=now)
    db.session.flush()
    return ticket


def auto_close(ticket_id: int, resolved_stamp: int, now: datetime | None = None) -> bool:
    """Close a ticket still resolved since `resolved_stamp` (nobody replied meanwhile)."""
    ticket = db.session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
    if (ticket is None or ticket.status != TicketStatus.RESOLVED or ticket.resolved_at is None
            or int(ticket.resolved_at.timestamp()) != resolved_stamp):
        return False
    days = current_app.config["HELPDESK_AUTO_CLOSE_DAYS"]
    _move(ticket, TicketStatus.CLOSED, None, now or utcnow(), note=f"no reply for {days} days after resolution")
    db.session.flush()
    return True
