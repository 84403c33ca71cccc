"""The agents' side: the queue (views, filters, search, refreshed in place) and the ticket
page (conversation with internal notes, reply with canned answers, assignment, details,
status, and the customer's orders beside it with a refund proposal)."""
from __future__ import annotations

from flask import current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core import numbers
from app.core.auth import role_required
from app.core.forms import attempt
from app.core.htmx import is_htmx, render
from app.core.errors import DomainError
from app.core.money import format_money
from app.core.money import parse as parse_money
from app.core.models import utcnow
from app.helpdesk import canned, context, queries, services, sla
from app.helpdesk.forms import AgentReplyForm, AssignForm, DetailsForm, NoteForm, RefundForm, StatusForm
from app.helpdesk.models import Priority, TicketStatus, TicketType
from app.helpdesk.texts import (
    ORDER_STATE_LABELS, PRIORITY_LABELS, REFUND_LABELS, STATUS_LABELS, TARGET_LABELS, TYPE_LABELS)
from app.helpdesk.views import AGENTS, bp

LABELS = {"labels": STATUS_LABELS, "types": TYPE_LABELS, "priorities": PRIORITY_LABELS, "targets": TARGET_LABELS,
          "order_states": ORDER_STATE_LABELS, "refund_states": REFUND_LABELS}


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
    rows, cursor = queries.queue(filters, current_user.id, now)
    return render("helpdesk/queue.html", "helpdesk/_queue.html", rows=rows, cursor=cursor, filters=filters,
                  errors=errors, tabs=tabs, now=now, agents=queries.agents(), views=queries.VIEWS,
                  poll=current_app.config["HELPDESK_POLL_SECONDS"], **LABELS)


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
    return render("helpdesk/agent_ticket.html", "helpdesk/_compose.html", status=status, ctx=ctx, assign=assign,
                  refund=refund, replies=canned.listing(), placeholders=canned.PLACEHOLDERS,
                  clocks=sla.clocks_of(ticket), now=utcnow(), **_conversation(ticket), **page)


def _conversation(ticket) -> dict:
    return {"ticket": ticket, "entries": queries.conversation(ticket, internal=True), **LABELS,
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


@bp.post("/helpdesk/tickets/<int:ticket_id>/reply")
@role_required(*AGENTS)
def agent_reply(ticket_id: int):
    ticket = services.get(ticket_id, lock=True)
    form = AgentReplyForm()
    status = 422
    if form.validate_on_submit():
        with attempt(form) as done:
            services.agent_reply(ticket, _user(), form.message.data, TicketStatus(form.then.data),
                                 form.attachments.uploads())
        if done:
            flash(_("Your reply was sent to the customer."), "success")
            return _back(ticket_id, "latest")
        status = done.status
    return _agent_page(ticket, status, reply=form)


@bp.post("/helpdesk/tickets/<int:ticket_id>/note")
@role_required(*AGENTS)
def note(ticket_id: int):
    ticket = services.get(ticket_id, lock=True)
    form = NoteForm()
    status = 422
    if form.validate_on_submit():
        with attempt(form) as done:
            services.add_note(ticket, _user(), form.note.data)
        if done:
            return _back(ticket_id, "latest")
        status = done.status
    return _agent_page(ticket, status, note=form)


@bp.post("/helpdesk/tickets/<int:ticket_id>/assign")
@role_required(*AGENTS)
def assign(ticket_id: int):
    ticket = services.get(ticket_id, lock=True)
    form = AssignForm()
    status = 422
    if form.validate_on_submit():
        raw = (form.assignee.data or "").strip()
        with attempt(form, "assignee") as done:
            services.assign(ticket, _user(), (int(raw) if raw.isdigit() and len(raw) < 10 else 0) if raw else None)
        if done:
            return _back(ticket_id)
        status = done.status
    return _agent_page(ticket, status, assign=form)


@bp.post("/helpdesk/tickets/<int:ticket_id>/details")
@role_required(*AGENTS)
def details(ticket_id: int):
    ticket = services.get(ticket_id, lock=True)
    form = DetailsForm()
    if form.validate_on_submit():
        services.set_details(ticket, _user(), type=TicketType(form.type.data), priority=Priority(form.priority.data))
        return _back(ticket_id)
    return _agent_page(ticket, 422, details=form)


@bp.post("/helpdesk/tickets/<int:ticket_id>/status")
@role_required(*AGENTS)
def status(ticket_id: int):
    ticket = services.get(ticket_id, lock=True)
    form = StatusForm()
    status = 422
    if form.validate_on_submit():
        with attempt(form) as done:
            services.set_status(ticket, _user(), TicketStatus(form.status.data))
        if done:
            return _back(ticket_id)
        status = done.status
    return _agent_page(ticket, status, status_form=form)


@bp.post("/helpdesk/tickets/<int:ticket_id>/refund")
@role_required(*AGENTS)
def refund(ticket_id: int):
    """Propose a refund for operations to approve (filed for the buyer, noted on the ticket)."""
    ticket = services.get(ticket_id, lock=True)
    form = RefundForm()
    status = 422
    if form.validate_on_submit():
        with attempt(form) as done:
            amount = _amount(form.amount.data)
            found = context.propose_refund(ticket, _user(), int(form.order_id.data), reason=form.reason.data,
                                           amount_fen=amount)
        if done:
            flash(_("Refund of %(amount)s proposed: operations approve it on their desk.",
                    amount=format_money(found.amount_fen)), "success")
            return _back(ticket_id)
        status = done.status
    return _agent_page(ticket, status, refund=form)


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
                  refundable=context.refundable(facts), **LABELS)
