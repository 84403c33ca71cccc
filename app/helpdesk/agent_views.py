"""The agents' side: the queue (views, filters, search, refreshed in place) and the ticket
page (conversation with internal notes, reply with canned answers, assignment, details,
status, and the customer's orders beside it with a refund proposal)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from flask import current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core import numbers
from app.core.auth import role_required
from app.core.errors import DomainError
from app.core.forms import attempt
from app.core.htmx import is_htmx, render
from app.core.i18n import translated
from app.core.models import utcnow
from app.core.money import format_money
from app.core.money import parse as parse_money
from app.helpdesk import canned, context, queries, services, sla
from app.helpdesk.forms import AgentReplyForm, AssignForm, DetailsForm, NoteForm, RefundForm, StatusForm
from app.helpdesk.models import Priority, TicketStatus, TicketType
from app.helpdesk.texts import (
    ORDER_STATE_LABELS, PRIORITY_LABELS, REFUND_LABELS, STATUS_LABELS, TARGET_LABELS, TYPE_LABELS, Timing)
from app.helpdesk.views import AGENTS, bp

VOCABULARY = {"labels": STATUS_LABELS, "types": TYPE_LABELS, "priorities": PRIORITY_LABELS, "targets": TARGET_LABELS,
              "order_states": ORDER_STATE_LABELS, "refund_states": REFUND_LABELS}


def labels() -> dict[str, dict[str, str]]:
    """The helpdesk's words in the reader's language, worked out once per language."""
    return {name: translated(words) for name, words in VOCABULARY.items()}


def _user():
    return current_user._get_current_object()


@bp.get("/helpdesk")
@role_required(*AGENTS)
def queue():
    filters, errors = queries.parse_queue(request.args)
    now = utcnow()
    tabs = queries.tabs(current_user.id, now)
    if is_htmx() and request.args.get("since") == tabs.version:
        return make_response("", 204)  # nothing changed since the page last looked
    if "view" not in request.args and not tabs.mine:
        filters = replace(filters, view="unassigned")  # nothing of one's own: what nobody has taken
    rows, cursor = queries.queue(filters, current_user.id, now)
    return render("helpdesk/queue.html", "helpdesk/_queue.html", rows=rows, cursor=cursor, filters=filters,
                  errors=errors, tabs=tabs, timing=_timing(now), agents=queries.agents, views=queries.VIEWS,
                  poll=current_app.config["HELPDESK_POLL_SECONDS"], **labels())


def _timing(now) -> Timing:
    return Timing(now, int(current_app.config["HELPDESK_SLA_SOON_MINUTES"]) * 60)


def _agent_page(ticket, status: int = 200, **forms):
    ctx = context.customer_context(ticket)
    agents = queries.agents()
    assign = forms.pop("assign", None) or AssignForm(assignee=str(ticket.assignee_id or ""))
    assign.assignee.choices = [("", _("Nobody (back to the queue)"))] + [(str(a.id), a.name) for a in agents]
    refund = forms.pop("refund", None) or RefundForm(order_id=str(ticket.order_id or ""))
    refund.order_id.choices = [("", _("Choose an order"))] + [(str(f.order.id), f.order.number) for f in ctx.orders]
    page = {"reply": AgentReplyForm(), "note": NoteForm(), "missing": (),
            "details": DetailsForm(type=ticket.type.value, priority=ticket.priority.value),
            "status_form": StatusForm(status=ticket.status.value), **forms}
    return render("helpdesk/agent_ticket.html", status=status, ctx=ctx, assign=assign,
                  refund=refund, replies=canned.listing(), placeholders=canned.PLACEHOLDERS,
                  clocks=sla.clocks_of(ticket), timing=_timing(utcnow()), **_conversation(ticket), **page)


def _conversation(ticket) -> dict:
    return {"ticket": ticket, "entries": queries.conversation(ticket, internal=True), **labels(),
            "version": queries.version(ticket, internal=True), "poll": current_app.config["HELPDESK_POLL_SECONDS"]}


@bp.get("/helpdesk/tickets/<int:ticket_id>")
@role_required(*AGENTS)
def agent_ticket(ticket_id: int):
    """The ticket; ?canned=<id> fills the reply with that canned answer (the compose region
    alone for htmx, the whole page without script)."""
    ticket = services.get(ticket_id)
    reply = AgentReplyForm(formdata=None)
    missing: tuple[str, ...] = ()
    chosen = request.args.get("canned", type=int)
    if chosen:
        filled = canned.for_ticket(chosen, ticket, _user())
        reply.message.data, missing = filled.text, filled.missing
    if is_htmx():  # the compose region alone, with the reply filled in
        return render("helpdesk/_compose.html", ticket=ticket, reply=reply, missing=missing, replies=canned.listing())
    return _agent_page(ticket, reply=reply, missing=missing)


@bp.get("/helpdesk/tickets/<int:ticket_id>/conversation")
@role_required(*AGENTS)
def agent_conversation(ticket_id: int):
    ticket = services.get(ticket_id)
    if not is_htmx():
        return _back(ticket_id)
    if request.args.get("v") == queries.version(ticket, internal=True):
        return make_response("", 204)
    return render("helpdesk/_agent_conversation.html", **_conversation(ticket))


def _back(ticket_id: int, anchor: str | None = None):
    return redirect(url_for("helpdesk.agent_ticket", ticket_id=ticket_id, _anchor=anchor), 303)


def _submit(ticket_id: int, form, name: str, change: Callable, *, said: Callable | None = None,
            anchor: str | None = None):
    """One change from a form of the ticket page: back to the page when it went through
    (with `said(result)` flashed), else the page again with the form's errors beside it."""
    ticket = services.get(ticket_id, lock=True)
    status = 422
    if form.validate_on_submit():
        with attempt(form) as done:
            result = change(ticket, form)
        if done:
            if said is not None:
                flash(said(result), "success")
            return _back(ticket_id, anchor)
        status = done.status
    return _agent_page(ticket, status, **{name: form})


def _id(raw: str | None) -> int | None:
    """A chosen id (None for none chosen; 0, which names nothing, for anything not a number)."""
    raw = (raw or "").strip()
    return (int(raw) if raw.isdigit() and len(raw) < 10 else 0) if raw else None


@bp.post("/helpdesk/tickets/<int:ticket_id>/reply")
@role_required(*AGENTS)
def agent_reply(ticket_id: int):
    return _submit(ticket_id, AgentReplyForm(), "reply", lambda ticket, form: services.agent_reply(
        ticket, _user(), form.message.data, TicketStatus(form.then.data), form.attachments.uploads()),
        said=lambda _message: _("Your reply was sent to the customer."), anchor="latest")


@bp.post("/helpdesk/tickets/<int:ticket_id>/note")
@role_required(*AGENTS)
def note(ticket_id: int):
    return _submit(ticket_id, NoteForm(), "note",
                   lambda ticket, form: services.add_note(ticket, _user(), form.note.data), anchor="latest")


@bp.post("/helpdesk/tickets/<int:ticket_id>/assign")
@role_required(*AGENTS)
def assign(ticket_id: int):
    return _submit(ticket_id, AssignForm(), "assign",
                   lambda ticket, form: services.assign(ticket, _user(), _id(form.assignee.data)))


@bp.post("/helpdesk/tickets/<int:ticket_id>/details")
@role_required(*AGENTS)
def details(ticket_id: int):
    return _submit(ticket_id, DetailsForm(), "details", lambda ticket, form: services.set_details(
        ticket, _user(), type=TicketType(form.type.data), priority=Priority(form.priority.data)))


@bp.post("/helpdesk/tickets/<int:ticket_id>/status")
@role_required(*AGENTS)
def status(ticket_id: int):
    return _submit(ticket_id, StatusForm(), "status_form",
                   lambda ticket, form: services.set_status(ticket, _user(), TicketStatus(form.status.data)))


@bp.post("/helpdesk/tickets/<int:ticket_id>/refund")
@role_required(*AGENTS)
def refund(ticket_id: int):
    """Propose a refund for operations to approve (filed for the buyer, noted on the ticket)."""
    return _submit(ticket_id, RefundForm(), "refund", lambda ticket, form: context.propose_refund(
        ticket, _user(), _id(form.order_id.data) or 0, reason=form.reason.data, amount_fen=_amount(form.amount.data)),
        said=lambda found: _("Refund of %(amount)s proposed: operations approve it on their desk.",
                             amount=format_money(found.amount_fen)))


def _amount(raw: str | None) -> int | None:
    if not (raw or "").strip():
        return None
    try:
        return parse_money(raw, "CNY")
    except numbers.NumberError as e:
        raise DomainError(e.message(), "amount") from None


@bp.get("/helpdesk/tickets/<int:ticket_id>/orders/<int:order_id>")
@role_required(*AGENTS)
def agent_order(ticket_id: int, order_id: int):
    """One order of the ticket's company, as the agent needs it: lines, payment, refunds."""
    ticket = services.get(ticket_id)
    facts = context.facts_for([context.order_of(ticket, order_id)])[0]
    form = RefundForm(order_id=str(order_id))
    form.order_id.choices = [(str(order_id), facts.order.number)]
    return render("helpdesk/agent_order.html", ticket=ticket, facts=facts, refund=form,
                  refundable=context.refundable(facts), **labels())
