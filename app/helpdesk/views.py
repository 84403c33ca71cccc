"""The buyer's side of the helpdesk: their company's tickets, opening one (about an order,
with attachments), following the conversation as it happens, replying, closing, rating.

The agents' pages are in agent_views.py and admin_views.py, on the same blueprint. Every
ticket URL here is scoped to the signed-in buyer's company: another company's ticket is
404, as if it did not exist.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core import files
from app.core.auth import current_company_id, get_scoped_or_404, has_role, role_required
from app.core.errors import NotFound
from app.core.forms import attempt
from app.core.htmx import is_htmx, render
from app.core.i18n import translated
from app.core.money import format_money
from app.extensions import db
from app.helpdesk import attachments, queries, services
from app.helpdesk.forms import CloseForm, RateForm, ReplyForm, TicketForm
from app.helpdesk.models import Attachment, Message, MessageKind, Ticket, TicketType
from app.helpdesk.texts import BUYER_STATUS_LABELS, TYPE_LABELS, beijing

bp = Blueprint("helpdesk", __name__)

CUSTOMERS = ("owner", "buyer", "finance")
AGENTS = ("agent",)            # administrators pass every staff check too
ORDER_CHOICES = 50


def _user():
    return current_user._get_current_object()


def _order_choices(company_id: int, wanted: int | None) -> list[tuple[str, str]]:
    """The company's recent orders for the ticket form (and the one asked for, if older)."""
    from app.orders import queries as orders, services as order_services
    from app.orders.queries import Filters

    found, _more = orders.orders_page(company_id, Filters(), limit=ORDER_CHOICES)
    if wanted and all(o.id != wanted for o in found):
        try:
            found.insert(0, order_services.get(wanted, company_id))
        except NotFound:
            pass
    return [("", _("No order"))] + [(str(o.id), f"{o.number} · {format_money(o.total_fen)} · "
                                                f"{beijing(o.created_at, '%Y-%m-%d')}") for o in found]


@bp.get("/tickets")
@role_required(*CUSTOMERS)
def tickets():
    status = request.args.get("status") if request.args.get("status") in ("active", "done") else None
    before = request.args.get("before", type=int)
    found, next_before = queries.company_tickets(current_company_id(), before=before, status=status)
    return render("helpdesk/tickets.html", tickets=found, next_before=next_before, status=status,
                  before=before, labels=translated(BUYER_STATUS_LABELS), types=translated(TYPE_LABELS))


@bp.route("/tickets/new", methods=["GET", "POST"])
@role_required(*CUSTOMERS)
def new_ticket():
    form = TicketForm()
    wanted = request.args.get("order_id", type=int)
    form.order_id.choices = _order_choices(current_company_id(), wanted)
    if request.method == "GET" and wanted:
        form.order_id.data = str(wanted)
    if form.validate_on_submit():
        with attempt(form, "message") as done:
            ticket = services.open_ticket(_user(), current_company_id(), type=TicketType(form.type.data),
                                          subject=form.subject.data, body=form.message.data,
                                          order_id=form.chosen_order(), uploads=form.attachments.uploads())
        if done:
            flash(_("Ticket %(number)s is open. We will answer here and by SMS.", number=ticket.number), "success")
            return redirect(url_for("helpdesk.ticket", ticket_id=ticket.id), 303)
    return render("helpdesk/new.html", status=422 if form.errors else 200, form=form)


def _locked(ticket_id: int) -> Ticket:
    """The company's ticket, locked for a change (404 for any other)."""
    return services.get(ticket_id, company_id=current_company_id(), lock=True)


def _ticket_page(ticket: Ticket, *, reply: ReplyForm | None = None, rate: RateForm | None = None, status: int = 200):
    return render("helpdesk/ticket.html", status=status, reply=reply or ReplyForm(),
                  rate=rate or RateForm(), close=CloseForm(), **_conversation(ticket))


def _conversation(ticket: Ticket) -> dict:
    return {"ticket": ticket, "entries": queries.conversation(ticket, internal=False),
            "labels": translated(BUYER_STATUS_LABELS), "types": translated(TYPE_LABELS),
            "version": queries.version(ticket, internal=False),
            "poll": current_app.config["HELPDESK_POLL_SECONDS"]}


@bp.get("/tickets/<int:ticket_id>")
@role_required(*CUSTOMERS)
def ticket(ticket_id: int):
    return _ticket_page(get_scoped_or_404(Ticket, ticket_id))


@bp.get("/tickets/<int:ticket_id>/conversation")
@role_required(*CUSTOMERS)
def conversation(ticket_id: int):
    """The conversation region, polled by the page: 204 while nothing the buyer sees changed."""
    found = get_scoped_or_404(Ticket, ticket_id)
    if not is_htmx():
        return redirect(url_for("helpdesk.ticket", ticket_id=ticket_id), 303)
    if request.args.get("v") == queries.version(found, internal=False):
        return make_response("", 204)
    return render("helpdesk/_conversation.html", rate=RateForm(), close=CloseForm(), oob=True, **_conversation(found))


def _answer(ticket_id: int, form, name: str, change, *, said: str | None = None, anchor: str | None = None):
    """The buyer's reply or rating: back to the ticket when it went through, else the page
    again with the refusal shown."""
    found = _locked(ticket_id)
    status = 422
    if form.validate_on_submit():
        with attempt(form) as done:
            change(found, form)
        if done:
            if said:
                flash(said, "success")
            return redirect(url_for("helpdesk.ticket", ticket_id=ticket_id, _anchor=anchor), 303)
        status = done.status
    return _ticket_page(found, status=status, **{name: form})


@bp.post("/tickets/<int:ticket_id>/reply")
@role_required(*CUSTOMERS)
def reply(ticket_id: int):
    return _answer(ticket_id, ReplyForm(), "reply", lambda found, form: services.customer_reply(
        found, _user(), form.message.data, form.attachments.uploads()), anchor="latest")


@bp.post("/tickets/<int:ticket_id>/close")
@role_required(*CUSTOMERS)
def close(ticket_id: int):
    found = _locked(ticket_id)
    if CloseForm().validate_on_submit():
        with attempt() as done:
            services.close(found, _user())
        if done:
            flash(_("The ticket is closed."), "success")
    return redirect(url_for("helpdesk.ticket", ticket_id=ticket_id), 303)


@bp.post("/tickets/<int:ticket_id>/rate")
@role_required(*CUSTOMERS)
def rate(ticket_id: int):
    return _answer(ticket_id, RateForm(), "rate", lambda found, form: services.rate(
        found, _user(), int(form.rating.data), form.comment.data), said=_("Thank you for rating the answer."))


@bp.get("/tickets/<int:ticket_id>/attachments/<int:attachment_id>")
@role_required(*CUSTOMERS, *AGENTS)
def attachment(ticket_id: int, attachment_id: int):
    """A ticket's file, for agents and for the ticket's company (never one of an internal note)."""
    agent = has_role(current_user, *AGENTS)
    found = db.session.get(Ticket, ticket_id) if agent else get_scoped_or_404(Ticket, ticket_id)
    item = db.session.get(Attachment, attachment_id)
    if found is None or item is None or item.ticket_id != found.id:
        abort(404)
    if not agent and db.session.get(Message, item.message_id).kind == MessageKind.NOTE:
        abort(404)
    try:
        return attachments.send(item)
    except files.FileMissing:
        abort(404)
