"""Canned replies: the team's reusable answers, with placeholders filled from the ticket.

A placeholder is a known name in braces ({customer_name}); its value is plain text put in
place of it, once, so neither a customer's name nor an order number can add placeholders
or markup (the page escapes the result like any other text). A placeholder the ticket has
no value for (an order number on a ticket about no order) stays as written and is named,
so the agent fills it in before sending.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import Company, User
from app.core.errors import DomainError, NotFound
from app.core.money import format_money
from app.extensions import db
from app.helpdesk.models import CannedReply, Ticket

PLACEHOLDER = re.compile(r"\{([a-z_]{1,30})\}")
PLACEHOLDERS = {
    "customer_name": _l("the name of who opened the ticket"),
    "company_name": _l("their company"),
    "ticket_number": _l("the ticket's number"),
    "order_number": _l("the ticket's order number"),
    "order_total": _l("the order's total"),
    "order_refunded": _l("what was refunded on the order"),
    "agent_name": _l("your name"),
}


@dataclass(frozen=True)
class Filled:
    text: str
    missing: tuple[str, ...]   # placeholders without a value for this ticket


def fill(body: str, values: dict[str, str | None]) -> Filled:
    """`body` with each known placeholder replaced by its value, in one pass."""
    missing: list[str] = []

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            return match.group(0)
        found = values.get(name)
        if found is None:
            missing.append(name)
            return match.group(0)
        return found

    return Filled(PLACEHOLDER.sub(value, body), tuple(dict.fromkeys(missing)))


def values_for(ticket: Ticket, agent) -> dict[str, str | None]:
    """What each placeholder stands for on this ticket."""
    from app.orders import services as orders

    requester = db.session.get(User, ticket.requester_id)
    company = db.session.get(Company, ticket.company_id)
    order = None
    if ticket.order_id is not None:
        try:
            order = orders.get(ticket.order_id, ticket.company_id)
        except NotFound:
            order = None
    return {"customer_name": requester.name if requester else None, "company_name": company.name if company else None,
            "ticket_number": ticket.number, "agent_name": agent.name,
            "order_number": order.number if order else None,
            "order_total": format_money(order.total_fen) if order else None,
            "order_refunded": format_money(order.refunded_fen) if order else None}


def for_ticket(reply_id: int, ticket: Ticket, agent) -> Filled:
    reply = db.session.get(CannedReply, reply_id)
    if reply is None or not reply.active:
        raise NotFound(_l("There is no such canned reply."), "canned")
    return fill(reply.body, values_for(ticket, agent))


def listing(include_inactive: bool = False) -> list[CannedReply]:
    stmt = select(CannedReply).order_by(CannedReply.title)
    if not include_inactive:
        stmt = stmt.where(CannedReply.active.is_(True))
    return list(db.session.scalars(stmt.limit(500)))


def save(actor, *, title: str, body: str, active: bool = True, reply: CannedReply | None = None) -> CannedReply:
    """Create or change a canned reply; DomainError for a title another one has, or a
    placeholder the helpdesk does not know (a typo would reach customers as written)."""
    title, body = (title or "").strip(), (body or "").strip()
    unknown = sorted({m.group(1) for m in PLACEHOLDER.finditer(body)} - set(PLACEHOLDERS))
    if unknown:
        raise DomainError(_l("Unknown placeholder {%(name)s}: use one of the list.", name=unknown[0]), "body",
                          code="placeholder")
    clash = db.session.scalar(select(CannedReply.id).where(CannedReply.title == title))
    if clash is not None and (reply is None or clash != reply.id):
        raise DomainError(_l("Another canned reply has this title."), "title", code="title")
    if reply is None:
        reply = CannedReply()
        db.session.add(reply)
    reply.title, reply.body, reply.active, reply.updated_by_id = title, body, active, actor.id
    db.session.flush()
    return reply
