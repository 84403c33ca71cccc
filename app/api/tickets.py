"""Ticket endpoints: open a ticket, list the company's tickets, read one with its
conversation, write to it, and fetch a file sent with it.

Every ticket URL is scoped to the caller's company: another company's ticket (or its
file) is 404, exactly like one that does not exist. Internal notes are never part of a
ticket here: the conversation is read with the buyer's own query, which leaves them out.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.api import params
from app.api.base import BadParameter, authenticated, bp, company_id, cursor_in, cursor_out
from app.core import files
from app.core.bounds import clean
from app.core.errors import NotFound
from app.helpdesk import Ticket, TicketStatus, TicketType, attachments, queries, services

TYPES = tuple(t.value for t in TicketType)
STATUSES = tuple(s.value for s in TicketStatus)
MAX_LIMIT = 100


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _text(data: dict[str, Any], field: str, most: int) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not clean(value):
        raise BadParameter(_l("This is required."), field)
    value = clean(value)
    if len(value) > most:
        raise BadParameter(_l("Use at most %(n)d characters.", n=most), field)
    return value


def ticket_json(ticket: Ticket, *, conversation: bool = False) -> dict[str, Any]:
    """The ticket object of the API (README, "Tickets")."""
    body: dict[str, Any] = {
        "id": ticket.id, "number": ticket.number, "type": ticket.type.value, "priority": ticket.priority.value,
        "status": ticket.status.value, "subject": ticket.subject, "order_id": ticket.order_id,
        "created_at": _time(ticket.created_at), "updated_at": _time(ticket.updated_at),
        "last_message_at": _time(ticket.last_message_at), "last_message_by": ticket.last_message_by,
        "resolved_at": _time(ticket.resolved_at), "closed_at": _time(ticket.closed_at),
        "rating": ticket.rating, "rating_comment": ticket.rating_comment,
    }
    if conversation:
        body["messages"] = [{
            "id": e.message.id, "from": e.message.kind.value, "author": e.author, "body": e.message.body,
            "created_at": _time(e.message.created_at),
            "attachments": [{"id": a.id, "name": a.filename, "content_type": a.content_type, "size": a.size,
                             "sha256": a.sha256,
                             "url": url_for("api.ticket_attachment", ticket_id=ticket.id, attachment_id=a.id)}
                            for a in e.message.attachments],
        } for e in queries.conversation(ticket, internal=False)]
    return body


@bp.post("/tickets")
@authenticated
def create_ticket():
    """201 with the new ticket and its first message."""
    company = company_id()
    data = params.json_object({"type", "subject", "message", "order_id"})
    kind = TicketType(params.choice(data, "type", TYPES))
    subject, message = _text(data, "subject", 200), _text(data, "message", 5000)
    order_id = params.optional_id(data, "order_id")
    ticket = services.open_ticket(current_user._get_current_object(), company, type=kind, subject=subject,
                                  body=message, order_id=order_id)
    return jsonify(ticket_json(ticket, conversation=True)), 201


def _after() -> int | None:
    position = cursor_in("t")
    if position is None:
        return None
    if not (position.isascii() and position.isdigit() and len(position) < 10):
        raise BadParameter(_l("This cursor is not one the API gave: pass next_cursor as it came."), "cursor")
    return int(position)


@bp.get("/tickets")
@authenticated
def list_tickets():
    """The company's tickets, newest first, optionally in one status; one query a page."""
    company = company_id()
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise BadParameter(_l("Choose one of: %(choices)s.", choices=", ".join(STATUSES)), "status")
    limit = params.query_int("limit", 20, 1, MAX_LIMIT)
    found, more = queries.api_page(company, status=TicketStatus(status) if status else None, after=_after(),
                                   limit=limit)
    return jsonify({"items": [ticket_json(t) for t in found],
                    "next_cursor": cursor_out("t", str(more) if more else None)})


@bp.get("/tickets/<int:ticket_id>")
@authenticated
def get_ticket(ticket_id: int):
    return jsonify(ticket_json(services.get(ticket_id, company_id=company_id()), conversation=True))


@bp.post("/tickets/<int:ticket_id>/messages")
@authenticated
def post_message(ticket_id: int):
    """201 with the ticket and its conversation; a resolved or waiting ticket opens again,
    a closed one answers 409."""
    company = company_id()
    data = params.json_object({"message"})
    message = _text(data, "message", 5000)
    ticket = services.get(ticket_id, company_id=company, lock=True)
    services.customer_reply(ticket, current_user._get_current_object(), message)
    return jsonify(ticket_json(ticket, conversation=True)), 201


@bp.get("/tickets/<int:ticket_id>/attachments/<int:attachment_id>")
@authenticated
def ticket_attachment(ticket_id: int, attachment_id: int):
    """A file sent with one of the ticket's messages, as stored (images inline, PDFs as downloads)."""
    ticket = services.get(ticket_id, company_id=company_id())
    found = next((a for e in queries.conversation(ticket, internal=False) for a in e.message.attachments
                  if a.id == attachment_id), None)
    if found is None:
        raise NotFound(_l("There is no such file."), "attachment_id")
    try:
        return attachments.send(found)
    except files.FileMissing:
        raise NotFound(_l("There is no such file."), "attachment_id") from None

