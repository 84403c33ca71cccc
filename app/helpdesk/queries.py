"""What the helpdesk's pages read: the agents' queue (views, filters, search, keyset pages),
the buyer's tickets, a ticket's conversation, and the versions that tell a polling page
whether anything changed. Each is a fixed number of queries, however many rows it shows."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select, text
from sqlalchemy.orm import aliased, selectinload

from app.accounts.models import Company, StaffRole, User
from app.core import audit, paging
from app.core.models import utcnow
from app.extensions import db
from app.helpdesk.models import (
    ACTIVE, ACTIVE_SQL, WORKING_SQL, Message, MessageKind, Priority, Ticket, TicketStatus, TicketType)

PAGE_SIZE = 25
COUNT_CAP = 100          # tab counts stop here ("99+"): counting every row would cost a scan
VIEWS = ("mine", "unassigned", "pending", "soon", "all")
NUMBER = re.compile(r"T[0-9]{6}[2-9A-HJ-NP-Z]{6}")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)


def _at(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


@dataclass(frozen=True)
class QueueFilters:
    view: str = "mine"
    q: str = ""
    type: TicketType | None = None
    priority: Priority | None = None
    status: TicketStatus | None = None
    assignee: int | None = None
    after: str | None = None

    def args(self, **changes: Any) -> dict[str, str]:
        """As query parameters, for links that keep the filters (a new view starts at its top)."""
        values = {"view": self.view, "q": self.q, "type": self.type and self.type.value,
                  "priority": self.priority and self.priority.value, "status": self.status and self.status.value,
                  "assignee": self.assignee, "after": self.after, **changes}
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    @property
    def narrowed(self) -> bool:
        return bool(self.q or self.type or self.priority or self.status or self.assignee)


def _choice(raw: str | None, kind: Any, field: str, errors: dict[str, str]) -> Any:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        errors[field] = str(_l("Choose from the list."))
        return None


def parse_queue(args: Mapping[str, str]) -> tuple[QueueFilters, dict[str, str]]:
    """Filters from the query string; a bad one is left out and explained in `errors`."""
    errors: dict[str, str] = {}
    view = args.get("view") or "mine"
    if view not in VIEWS:
        view, errors["view"] = "mine", str(_l("Choose from the list."))
    assignee = (args.get("assignee") or "").strip()
    return QueueFilters(view=view, q=(args.get("q") or "").strip()[:100],
                        type=_choice(args.get("type"), TicketType, "type", errors),
                        priority=_choice(args.get("priority"), Priority, "priority", errors),
                        status=_choice(args.get("status"), TicketStatus, "status", errors),
                        assignee=int(assignee) if assignee.isdigit() and len(assignee) < 10 else None,
                        after=(args.get("after") or None)), errors


def _soon(now: datetime) -> datetime:
    return now + timedelta(minutes=int(current_app.config["HELPDESK_SLA_SOON_MINUTES"]))


_ACTIVE = text(f"helpdesk_tickets.{ACTIVE_SQL}")
_WORKING = text(f"helpdesk_tickets.{WORKING_SQL}")


def _view(stmt: Select, view: str, user_id: int, now: datetime) -> Select:
    if view == "mine":
        return stmt.where(Ticket.assignee_id == user_id, _ACTIVE)
    if view == "unassigned":
        return stmt.where(Ticket.assignee_id.is_(None), _ACTIVE)
    if view == "pending":
        return stmt.where(Ticket.status == TicketStatus.PENDING_CUSTOMER)
    if view == "soon":
        return stmt.where(_WORKING, Ticket.due_sort <= _soon(now))
    return stmt


def _narrowed(stmt: Select, f: QueueFilters) -> Select:
    if f.type:
        stmt = stmt.where(Ticket.type == f.type)
    if f.priority:
        stmt = stmt.where(Ticket.priority == f.priority)
    if f.status:
        stmt = stmt.where(Ticket.status == f.status)
    if f.assignee:
        stmt = stmt.where(Ticket.assignee_id == f.assignee)
    if f.q:
        if NUMBER.fullmatch(f.q.upper()):
            stmt = stmt.where(Ticket.number == f.q.upper())
        else:
            stmt = stmt.where(or_(Ticket.subject.icontains(f.q, autoescape=True),
                                  Ticket.company_id.in_(select(Company.id).where(
                                      Company.name.icontains(f.q, autoescape=True)))))
    return stmt


# Each view's order: by due time (soonest first), by last change (oldest first), or newest.
_ORDERS = {"mine": "due", "unassigned": "due", "soon": "due", "pending": "updated", "all": "newest"}


def _ordered(stmt: Select, order: str, after: tuple | None) -> Select:
    if order == "due":
        if after:
            due = _at(after[0])
            stmt = stmt.where(or_(Ticket.due_sort > due, and_(Ticket.due_sort == due, Ticket.id > after[1])))
        return stmt.order_by(Ticket.due_sort, Ticket.id)
    if order == "updated":
        if after:
            at = _at(after[0])
            stmt = stmt.where(or_(Ticket.updated_at > at, and_(Ticket.updated_at == at, Ticket.id > after[1])))
        return stmt.order_by(Ticket.updated_at, Ticket.id)
    if after:
        stmt = stmt.where(Ticket.id < after[0])
    return stmt.order_by(Ticket.id.desc())


def _key(ticket: Ticket, order: str) -> tuple:
    if order == "due":
        return (_micros(ticket.due_sort), ticket.id)
    if order == "updated":
        return (_micros(ticket.updated_at), ticket.id)
    return (ticket.id,)


@dataclass(frozen=True)
class Row:
    ticket: Ticket
    company: str
    requester: str
    assignee: str | None


def queue(f: QueueFilters, user_id: int, now: datetime | None = None,
          limit: int = PAGE_SIZE) -> tuple[list[Row], str | None]:
    """One page of a queue view (one query), and the cursor of the next page (None: last)."""
    now = now or utcnow()
    order = _ORDERS[f.view]
    after = paging.decode(f.after, f"queue-{order}") if f.after else None
    requester, assignee = aliased(User), aliased(User)
    stmt = (select(Ticket, Company.name, requester.name, assignee.name)
            .join(Company, Company.id == Ticket.company_id).join(requester, requester.id == Ticket.requester_id)
            .outerjoin(assignee, assignee.id == Ticket.assignee_id))
    stmt = _ordered(_narrowed(_view(stmt, f.view, user_id, now), f), order, after)
    found = [Row(*r) for r in db.session.execute(stmt.limit(limit + 1))]
    more = len(found) > limit
    found = found[:limit]
    return found, (paging.encode(f"queue-{order}", _key(found[-1].ticket, order)) if more and found else None)


@dataclass(frozen=True)
class Tabs:
    mine: int
    unassigned: int
    soon: int
    version: str


def tabs(user_id: int, now: datetime | None = None) -> Tabs:
    """The tabs' counts (each capped at COUNT_CAP) and the queue's version, in one statement:
    the version changes whenever any ticket does, and once a minute (due times move on)."""
    now = now or utcnow()

    def capped(view: str):
        inner = _view(select(Ticket.id), view, user_id, now).limit(COUNT_CAP).subquery()
        return select(func.count()).select_from(inner).scalar_subquery()

    mine, unassigned, soon, latest = db.session.execute(select(
        capped("mine"), capped("unassigned"), capped("soon"),
        select(func.max(Ticket.updated_at)).scalar_subquery())).one()
    stamp = _micros(latest) if latest else 0
    return Tabs(mine, unassigned, soon, f"{stamp}.{_micros(now) // 60_000_000}")


def agents() -> list[tuple[int, str]]:
    """(id, name) of everyone who answers tickets: support agents and administrators."""
    return list(db.session.execute(select(User.id, User.name).where(
        User.staff_role.in_((StaffRole.AGENT, StaffRole.ADMIN)), User.active.is_(True))
        .order_by(User.name).limit(200)).tuples())


# --- the buyer's tickets ------------------------------------------------------------------------

def company_tickets(company_id: int, *, before: int | None = None, status: str | None = None,
                    limit: int = PAGE_SIZE) -> tuple[list[Ticket], int | None]:
    """The company's tickets, newest first (one query), and the id to continue before."""
    stmt = select(Ticket).where(Ticket.company_id == company_id)
    if status == "active":
        stmt = stmt.where(Ticket.status.in_(ACTIVE))
    elif status == "done":
        stmt = stmt.where(Ticket.status.in_((TicketStatus.RESOLVED, TicketStatus.CLOSED)))
    if before:
        stmt = stmt.where(Ticket.id < before)
    found = list(db.session.scalars(stmt.order_by(Ticket.id.desc()).limit(limit + 1)))
    more = len(found) > limit
    found = found[:limit]
    return found, (found[-1].id if more and found else None)


def api_page(company_id: int, *, status: TicketStatus | None, after: int | None,
             limit: int) -> tuple[list[Ticket], int | None]:
    """The API's list: newest first, keyset on id, optionally one status."""
    stmt = select(Ticket).where(Ticket.company_id == company_id)
    if status is not None:
        stmt = stmt.where(Ticket.status == status)
    if after:
        stmt = stmt.where(Ticket.id < after)
    found = list(db.session.scalars(stmt.order_by(Ticket.id.desc()).limit(limit + 1)))
    more = len(found) > limit
    return found[:limit], (found[limit - 1].id if more else None)


# --- one ticket ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One line of a conversation: a message (with its author's name) or, for agents, an event."""

    at: datetime
    message: Message | None = None
    author: str | None = None
    event: str | None = None
    note: str | None = None


def conversation(ticket: Ticket, *, internal: bool) -> list[Entry]:
    """The ticket's messages, oldest first, attachments loaded (two queries). Internal notes
    and the ticket's recorded events only when `internal` (an agent's page): the buyer's
    query never reads a note."""
    stmt = (select(Message, User.name).outerjoin(User, User.id == Message.author_id)
            .where(Message.ticket_id == ticket.id).options(selectinload(Message.attachments)).order_by(Message.id))
    if not internal:
        stmt = stmt.where(Message.kind != MessageKind.NOTE)
    entries = [Entry(m.created_at, m, name) for m, name in db.session.execute(stmt)]
    if internal:
        history = [e for e in audit.history(ticket) if e.action != "opened"]
        names = dict(db.session.execute(select(User.id, User.name).where(
            User.id.in_({e.actor_id for e in history if e.actor_id}))).all()) if history else {}
        entries += [Entry(e.at, author=names.get(e.actor_id), event=e.to_state if e.action == "state" else e.action,
                          note=e.note) for e in history]
        entries.sort(key=lambda e: (e.at, e.message is None))
    return entries


def version(ticket: Ticket, *, internal: bool) -> str:
    """Changes when the conversation the reader sees changes (a message, a status, an assignee)."""
    stmt = select(func.max(Message.id)).where(Message.ticket_id == ticket.id)
    if not internal:
        stmt = stmt.where(Message.kind != MessageKind.NOTE)
        return f"{db.session.scalar(stmt) or 0}.{ticket.status.value}.{int(ticket.rated_at is not None)}"
    return f"{db.session.scalar(stmt) or 0}.{_micros(ticket.updated_at)}"
