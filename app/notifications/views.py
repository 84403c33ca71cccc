"""Code login, phone verification, SMS preferences and the outbox page."""
from __future__ import annotations

import click
from flask import Blueprint, abort, current_app, flash, g, request, url_for
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts.auth import role_required
from app.accounts.views import safe_next, start_session
from app.core.htmx import redirect_htmx, render
from app.extensions import db, limiter
from app.notifications import codes, events, services, settings
from app.notifications.forms import CodeForm, PhoneForm, PreferencesForm
from app.notifications.models import CodePurpose

bp = Blueprint("notifications", __name__)


@bp.record_once
def _setup(state) -> None:
    settings.init_app(state.app)
    state.app.cli.add_command(sms_sweep)


@click.command("sms-sweep")
@with_appcontext
def sms_sweep() -> None:
    """Enqueue SMS left queued (Redis was down) or stuck sending; `rq cron app.notifications.cron` runs this every minute."""
    from app.notifications.jobs import sweep

    click.echo(f"{sweep()} message(s) enqueued")


LOGIN_PAGE, LOGIN_FRAGMENT = "notifications/code_login.html", "notifications/_code_login.html"
PHONE_PAGE, PHONE_FRAGMENT = "notifications/phone.html", "notifications/_phone_verify.html"


@bp.app_context_processor
def _helpers() -> dict:
    return {"code_login_form": lambda: PhoneForm(formdata=None, next=request.args.get("next", "")),
            "sms_settings": _sms_settings}


def _sms_settings() -> dict:
    user = current_user._get_current_object()
    profile = services.profile_for(user)
    receive = [c for c in events.OPTIONAL_CATEGORIES if c not in ((profile and profile.opted_out) or [])]
    return {"verified": services.phone_is_verified(user),
            "phone_form": PhoneForm(formdata=None, phone=user.phone or ""),
            "prefs_form": PreferencesForm(formdata=None, receive=receive)}


def _client_ip() -> str | None:
    return request.remote_addr


def _refusal_status(error: codes.CodeError) -> int:
    return 429 if isinstance(error, codes.RateLimited) else 422


def _code_failed(response) -> bool:
    return bool(g.get("code_failed"))


@bp.get("/login/code")
def code_login():
    return render(LOGIN_PAGE, LOGIN_FRAGMENT, phone_form=PhoneForm(formdata=None, next=request.args.get("next", "")))


@bp.post("/login/code/send")
def code_login_send():
    form = PhoneForm()
    if form.validate_on_submit():
        try:
            codes.send_code(form.phone.data, CodePurpose.LOGIN, ip=_client_ip())
        except codes.CodeError as e:
            db.session.rollback()
            form.phone.errors.append(str(e.message))
            return render(LOGIN_PAGE, LOGIN_FRAGMENT, status=_refusal_status(e), phone_form=form)
        db.session.commit()
        code_form = CodeForm(formdata=None, phone=form.phone.data, next=form.next.data)
        return render(LOGIN_PAGE, LOGIN_FRAGMENT, code_form=code_form, sent=True)
    return render(LOGIN_PAGE, LOGIN_FRAGMENT, status=422, phone_form=form)


@bp.post("/login/code")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], scope="code-login-ip",
               deduct_when=_code_failed)
def code_login_verify():
    form = CodeForm()
    if form.validate_on_submit():
        try:
            user = codes.login_with_code(form.phone.data, form.code.data)
        except codes.CodeError as e:
            db.session.commit() if e.keep else db.session.rollback()
            g.code_failed = True
            form.code.errors.append(str(e.message))
        else:
            db.session.commit()
            start_session(user)
            return redirect_htmx(safe_next(form.next.data))
    return render(LOGIN_PAGE, LOGIN_FRAGMENT, status=422, code_form=form)


@bp.post("/account/phone/send")
@login_required
def phone_send():
    form = PhoneForm()
    if form.validate_on_submit():
        try:
            codes.send_code(form.phone.data, CodePurpose.VERIFY_PHONE, ip=_client_ip(),
                            user=current_user._get_current_object())
        except codes.CodeError as e:
            db.session.commit() if e.keep else db.session.rollback()
            form.phone.errors.append(str(e.message))
            return render(PHONE_PAGE, PHONE_FRAGMENT, status=_refusal_status(e), phone_form=form)
        db.session.commit()
        return render(PHONE_PAGE, PHONE_FRAGMENT, code_form=CodeForm(formdata=None, phone=form.phone.data))
    return render(PHONE_PAGE, PHONE_FRAGMENT, status=422, phone_form=form)


@bp.post("/account/phone/verify")
@login_required
def phone_verify():
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes.verify_phone(current_user._get_current_object(), form.phone.data, form.code.data)
        except codes.CodeError as e:
            db.session.commit() if e.keep else db.session.rollback()
            form.code.errors.append(str(e.message))
        else:
            db.session.commit()
            flash(_("Your mobile number is verified."), "success")
            return redirect_htmx(url_for("accounts.profile"))
    return render(PHONE_PAGE, PHONE_FRAGMENT, status=422, code_form=form)


@bp.post("/account/sms-preferences")
@login_required
def preferences():
    form = PreferencesForm()
    if not form.validate_on_submit():
        abort(400)
    receive = set(form.receive.data or [])
    services.set_opt_outs(current_user._get_current_object(), set(events.OPTIONAL_CATEGORIES) - receive)
    db.session.commit()
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
                  page_no=page, more=more, status_labels=labels, reasons=_reasons())


def _reasons() -> dict[str, str]:
    """Our own reasons for not sending, in the reader's language (provider errors stay as given)."""
    return {"expired": _("Not sent: it was out of date before it could be sent."),
            "superseded": _("Not sent: a newer code replaced this one."),
            "worker-stopped": _("Given up: the worker stopped while sending it too many times."),
            "outcome-unknown": _("Not sent again: the provider may have sent it already. "
                                 "The user can ask for a new code.")}
