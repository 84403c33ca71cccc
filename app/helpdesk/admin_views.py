"""The helpdesk's settings and reports: canned replies (every agent keeps them), SLA policies
and calendars (agents read them, administrators change them), and the breach records."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from app.core import csvio
from app.core.auth import role_required
from app.core.forms import attempt
from app.core.i18n import translated
from app.core.htmx import render
from app.extensions import db
from app.helpdesk import canned, policies
from app.helpdesk.forms import CalendarForm, CannedForm, PolicyForm
from app.helpdesk.models import Calendar, CannedReply, SlaPolicy
from app.helpdesk.texts import PRIORITY_LABELS, TARGET_LABELS, TYPE_LABELS, WEEKDAYS
from app.helpdesk.views import AGENTS, bp

ADMINS = ("admin",)
VOCABULARY = {"types": TYPE_LABELS, "priorities": PRIORITY_LABELS, "targets": TARGET_LABELS}


def _vocabulary() -> dict[str, dict[str, str]]:
    return {name: translated(words) for name, words in VOCABULARY.items()}


@bp.get("/helpdesk/canned")
@role_required(*AGENTS)
def canned_replies():
    return render("helpdesk/canned.html", replies=canned.listing(include_inactive=True),
                  placeholders=canned.PLACEHOLDERS)


def _canned_page(form: CannedForm, reply: CannedReply | None):
    if form.validate_on_submit():
        with attempt(form, "body") as done:
            canned.save(current_user, title=form.title.data, body=form.body.data, active=form.active.data, reply=reply)
        if done:
            flash(_("The canned reply is saved."), "success")
            return redirect(url_for("helpdesk.canned_replies"), 303)
    return render("helpdesk/canned_form.html", status=422 if form.errors else 200, form=form, reply=reply,
                  placeholders=canned.PLACEHOLDERS)


@bp.route("/helpdesk/canned/new", methods=["GET", "POST"])
@role_required(*AGENTS)
def canned_new():
    return _canned_page(CannedForm(), None)


@bp.route("/helpdesk/canned/<int:reply_id>/edit", methods=["GET", "POST"])
@role_required(*AGENTS)
def canned_edit(reply_id: int):
    reply = db.get_or_404(CannedReply, reply_id)
    return _canned_page(CannedForm(obj=reply, formdata=None if request.method == "GET" else request.form), reply)


@bp.get("/helpdesk/sla")
@role_required(*AGENTS)
def sla_settings():
    return render("helpdesk/sla.html", policies=policies.policies(), calendars=policies.calendars(),
                  spans=policies.spans_text, weekdays=WEEKDAYS, duration=_duration, **_vocabulary())


def _duration(minutes: int) -> str:
    """A target as people say it: "15 minutes", "4 hours", "5 days"."""
    if minutes % (24 * 60) == 0:
        return ngettext("%(num)d day", "%(num)d days", minutes // (24 * 60))
    if minutes % 60 == 0:
        return ngettext("%(num)d hour", "%(num)d hours", minutes // 60)
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


@bp.route("/helpdesk/sla/policies/<int:policy_id>", methods=["GET", "POST"])
@role_required(*ADMINS)
def policy_edit(policy_id: int):
    policy = db.get_or_404(SlaPolicy, policy_id)
    form = PolicyForm(data={"calendar_id": policy.calendar_id, "first_response": policy.first_response_minutes,
                            "next_response": policy.next_response_minutes, "resolution": policy.resolution_minutes}
                      if request.method == "GET" else None)
    if form.validate_on_submit():
        with attempt(form, "calendar_id") as done:
            policies.save_policy(policy, calendar_id=form.calendar_id.data, first_response=form.first_response.data,
                                 next_response=form.next_response.data, resolution=form.resolution.data)
        if done:
            flash(_("The policy is saved. Tickets opened from now on follow it."), "success")
            return redirect(url_for("helpdesk.sla_settings"), 303)
    return render("helpdesk/policy_form.html", status=422 if form.errors else 200, form=form, policy=policy,
                  calendars=policies.calendars(), **_vocabulary())


def _calendar_form(calendar: Calendar) -> CalendarForm:
    if request.method == "POST":
        return CalendarForm()
    week = {f"day{n}": policies.spans_text(calendar.hours[n] if n < len(calendar.hours) else []) for n in range(7)}
    return CalendarForm(data={"name": calendar.name, "timezone": calendar.timezone, "always_open": calendar.always_open,
                              "holidays": "\n".join(calendar.holidays or []), **week})


@bp.route("/helpdesk/sla/calendars/<int:calendar_id>", methods=["GET", "POST"])
@role_required(*ADMINS)
def calendar_edit(calendar_id: int):
    calendar = db.get_or_404(Calendar, calendar_id)
    form = _calendar_form(calendar)
    if form.validate_on_submit():
        with attempt(form, "name") as done:
            policies.save_calendar(calendar, name=form.name.data, timezone=form.timezone.data,
                                   always_open=form.always_open.data, week=form.week(), holidays=form.holidays.data)
        if done:
            flash(_("The calendar is saved."), "success")
            return redirect(url_for("helpdesk.sla_settings"), 303)
    return render("helpdesk/calendar_form.html", status=422 if form.errors else 200, form=form, calendar=calendar,
                  days=[getattr(form, f"day{n}") for n in range(7)])


@bp.get("/helpdesk/breaches")
@role_required(*AGENTS)
def breaches():
    filters, errors = policies.parse_breach_filters(request.args)
    rows, next_before = policies.breaches(filters)
    return render("helpdesk/breaches.html", rows=rows, filters=filters, errors=errors, next_before=next_before,
                  **_vocabulary())


@bp.get("/helpdesk/breaches.csv")
@role_required(*AGENTS)
def breaches_csv():
    filters, _errors = policies.parse_breach_filters(request.args)
    rows, _more = policies.breaches(filters, limit=policies.EXPORT_LIMIT)
    header = [_("Ticket"), _("Subject"), _("Company"), _("Target"), _("Type"), _("Priority"), _("Assignee"),
              _("Due (Beijing time)"), _("Breached (Beijing time)")]

    def when(at) -> str:
        return at.astimezone(policies.CHINA).strftime("%Y-%m-%d %H:%M")

    return csvio.response("sla-breaches.csv", header, (
        [r.number, r.subject, r.company, str(TARGET_LABELS[r.breach.target.value]),
         str(TYPE_LABELS[r.breach.ticket_type.value]), str(PRIORITY_LABELS[r.breach.priority.value]),
         r.assignee or "", when(r.breach.due_at), when(r.breach.breached_at)] for r in rows))
