"""SMS preferences and the outbox page."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core.auth import role_required
from app.core.htmx import redirect_htmx, render
from app.notifications import events, services
from app.notifications.forms import PreferencesForm

bp = Blueprint("notifications", __name__)


@bp.post("/account/sms-preferences")
@login_required
def preferences():
    form = PreferencesForm()
    if not form.validate_on_submit():
        abort(400)
    receive = set(form.receive.data or [])
    services.set_opt_outs(current_user.id, set(events.OPTIONAL_CATEGORIES) - receive)
    flash(_("Your SMS preferences are saved."), "success")
    return redirect_htmx(url_for("accounts.profile"))


@bp.get("/outbox")
@role_required("agent", "ops", "finance_admin", "admin")
def outbox():
    if not current_app.config["SMS_OUTBOX_PAGE"]:
        abort(404)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    messages, more = services.outbox_page(page)
    labels = {"queued": _("Queued"), "sending": _("Sending"), "sent": _("Sent"), "failed": _("Failed")}
    return render("notifications/outbox.html", "notifications/_outbox.html", messages=messages,
                  texts=services.shown_texts(messages), page_no=page, more=more, status_labels=labels,
                  reasons=_reasons())


def _reasons() -> dict[str, str]:
    """Our own reasons for not sending, in the reader's language (provider errors stay as given)."""
    return {"expired": _("Not sent: it was out of date before it could be sent."),
            "superseded": _("Not sent: a newer code replaced this one."),
            "worker-stopped": _("Given up: the worker stopped while sending it too many times."),
            "outcome-unknown": _("Not sent again: the provider may have sent it already. "
                                 "The user can ask for a new code.")}
