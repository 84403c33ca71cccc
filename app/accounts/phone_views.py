"""Sign-in with an SMS code and mobile number verification (routes on the accounts blueprint)."""
from __future__ import annotations

from flask import current_app, flash, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import codes
from app.accounts.forms import CodeForm, PhoneForm
from app.accounts.models import CodePurpose
from app.accounts.views import bp, start_session
from app.core.forms import attempt
from app.core.htmx import redirect_htmx, render
from app.core.security import client_ip, safe_next
from app.extensions import limiter

LOGIN_PAGE, LOGIN_FRAGMENT = "accounts/code_login.html", "accounts/_code_login.html"
PHONE_PAGE, PHONE_FRAGMENT = "accounts/phone.html", "accounts/_phone_verify.html"


def _code_failed(response) -> bool:
    return bool(g.get("code_failed"))


@bp.get("/login/code")
def code_login():
    return render(LOGIN_PAGE, LOGIN_FRAGMENT, phone_form=PhoneForm(formdata=None, next=request.args.get("next", "")))


@bp.post("/login/code/send")
def code_login_send():
    form = PhoneForm()
    if form.validate_on_submit():
        with attempt(form, "phone") as done:
            codes.send_code(form.phone.data, CodePurpose.LOGIN, ip=client_ip())
        if done:
            code_form = CodeForm(formdata=None, phone=form.phone.data, next=form.next.data)
            return render(LOGIN_PAGE, LOGIN_FRAGMENT, code_form=code_form, sent=True)
        return render(LOGIN_PAGE, LOGIN_FRAGMENT, status=done.status, phone_form=form)
    return render(LOGIN_PAGE, LOGIN_FRAGMENT, status=422, phone_form=form)


@bp.post("/login/code")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], scope="code-login-ip",
               deduct_when=_code_failed)
def code_login_verify():
    form = CodeForm()
    if form.validate_on_submit():
        with attempt(form, "code") as done:
            user = codes.login_with_code(form.phone.data, form.code.data)
        if done:
            start_session(user)
            return redirect_htmx(safe_next(form.next.data))
        g.code_failed = True
    return render(LOGIN_PAGE, LOGIN_FRAGMENT, status=422, code_form=form)


@bp.post("/account/phone/send")
@login_required
def phone_send():
    form = PhoneForm()
    if form.validate_on_submit():
        with attempt(form, "phone") as done:
            codes.send_code(form.phone.data, CodePurpose.VERIFY_PHONE, ip=client_ip(),
                            user=current_user._get_current_object())
        if done:
            return render(PHONE_PAGE, PHONE_FRAGMENT, code_form=CodeForm(formdata=None, phone=form.phone.data))
        return render(PHONE_PAGE, PHONE_FRAGMENT, status=done.status, phone_form=form)
    return render(PHONE_PAGE, PHONE_FRAGMENT, status=422, phone_form=form)


@bp.post("/account/phone/verify")
@login_required
def phone_verify():
    form = CodeForm()
    if form.validate_on_submit():
        with attempt(form, "code") as done:
            codes.verify_phone(current_user._get_current_object(), form.phone.data, form.code.data)
        if done:
            flash(_("Your mobile number is verified."), "success")
            return redirect_htmx(url_for("accounts.profile"))
    return render(PHONE_PAGE, PHONE_FRAGMENT, status=422, code_form=form)
