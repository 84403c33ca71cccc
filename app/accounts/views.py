"""Sign-up, login, language, profile and company members."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app import notifications
from app.accounts import services, throttle, tokens
from app.accounts.forms import (
    AcceptInvitationForm,
    ApiTokenForm,
    InviteForm,
    LanguageForm,
    LoginForm,
    PasswordForm,
    PhoneForm,
    RoleForm,
    SignupForm,
)
from app.accounts.models import BuyerRole
from app.core.auth import current_company_id, role_required
from app.core.forms import attempt
from app.core.htmx import redirect_htmx, render
from app.core.i18n import LANG_COOKIE, chosen_language
from app.core.security import safe_next
from app.extensions import limiter

bp = Blueprint("accounts", __name__)


def start_session(user) -> None:
    """Sign `user` in on a fresh session: nothing planted before (a CSRF secret) survives."""
    session.clear()
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
@throttle.sign_in_limits
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("core.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user:
            start_session(user)
            return throttle.remember_device(redirect(safe_next(form.next.data), 303), form.email.data)
        throttle.count_failure()
        form.password.errors.append(_("Email or password is not correct."))
    return render("accounts/login.html", form=form,
                  phone_form=PhoneForm(formdata=None, next=request.args.get("next", "")))


@bp.post("/logout")
@login_required
def logout():
    services.end_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"), 303)


@bp.post("/language")
def language():
    form = LanguageForm()
    if not form.validate_on_submit():
        return redirect(url_for("core.home"), 303)
    code = form.language.data
    if current_user.is_authenticated:
        services.set_language(current_user._get_current_object(), code)
    response = redirect(safe_next(form.next.data), 303)
    response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
    return response


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        with attempt(form, "email") as done:
            user = services.sign_up(
                company_name=form.company_name.data, credit_code=form.credit_code.data,
                contact_phone=form.contact_phone.data, name=form.name.data,
                email=form.email.data, password=form.password.data, language=chosen_language())
        if done:
            start_session(user)
            flash(_("Welcome! Your company account is ready."), "success")
            return redirect(url_for("core.home"), 303)
    return render("accounts/signup.html", form=form)


def profile_page(form: PasswordForm | None = None, status: int = 200, fragment: str | None = None, **extra):
    """The account page (or, for htmx, the `fragment` of it that changed)."""
    user = current_user._get_current_object()
    return render("accounts/profile.html", fragment, status=status, form=form or PasswordForm(formdata=None),
                  phone_form=extra.pop("phone_form", None) or PhoneForm(formdata=None, phone=user.phone or ""),
                  token_form=extra.pop("token_form", None) or ApiTokenForm(formdata=None),
                  api_tokens=tokens.active_of(user.id), verified=user.phone_is_verified,
                  sms_categories=notifications.OPTIONAL_CATEGORIES, sms_receive=notifications.receives(user.id),
                  **extra)


@bp.route("/account", methods=["GET", "POST"])
@login_required
@throttle.password_check_limits
def profile():
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        with attempt(form, "current_password") as done:
            services.change_password(user, form.current_password.data, form.new_password.data)
        if isinstance(done.error, services.WrongPassword):
            throttle.count_failure()
        if done:
            login_user(user)  # this browser stays signed in with the new token
            flash(_("Your password has been changed. Other sessions were signed out."), "success")
            return redirect(url_for("accounts.profile"), 303)
    return profile_page(form, 422 if form.errors else 200)


def _members_context(invite_form: InviteForm | None = None, new_link: str | None = None) -> dict:
    company_id = current_company_id()
    return {
        "members": services.members(company_id),
        "invitations": services.open_invitations(company_id),
        "invite_form": invite_form or InviteForm(),
        "role_form": RoleForm(),
        "new_link": new_link,
        "roles": [r.value for r in BuyerRole],
    }


@bp.get("/members")
@role_required("owner")
def members():
    return render("accounts/members.html", "accounts/_members.html", **_members_context())


@bp.post("/members/invite")
@role_required("owner")
# Whether an address already has an account is an answer worth having to somebody
# collecting addresses: each company, and each client, gets only so many.
@limiter.limit(lambda: current_app.config["INVITE_LIMIT_PER_COMPANY"], scope="invite-company",
               key_func=lambda: f"company:{current_company_id()}")
@limiter.limit(lambda: current_app.config["INVITE_LIMIT_PER_IP"], scope="invite-ip")
def invite():
    form = InviteForm()
    new_link = None
    if form.validate_on_submit():
        with attempt(form, "email") as done:
            created = services.invite(inviter=current_user._get_current_object(), company_id=current_company_id(),
                                      email=form.email.data, role=BuyerRole(form.role.data),
                                      phone=form.phone.data)
        if done:
            new_link = created.link
            form = InviteForm(formdata=None)
    status = 200 if new_link or not form.errors else 422
    return render("accounts/members.html", "accounts/_members.html", status=status,
                  **_members_context(form, new_link))


def _member_change(change, done_message: str):
    """Apply one change to the members list and go back to it, saying how it went."""
    with attempt() as done:
        change()
    if done:
        flash(done_message, "success")
    return redirect_htmx(url_for("accounts.members"))


@bp.post("/members/<int:membership_id>/role")
@role_required("owner")
def change_role(membership_id: int):
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    return _member_change(lambda: services.change_role(
        company_id=current_company_id(), membership_id=membership_id,
        role=BuyerRole(form.role.data)), _("Role updated."))


@bp.post("/members/invitations/<int:invitation_id>/revoke")
@role_required("owner")
def revoke(invitation_id: int):
    return _member_change(lambda: services.revoke_invitation(current_company_id(), invitation_id),
                          _("Invitation withdrawn."))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept(token: str):
    invitation = services.open_invitation(token)
    if invitation is None:
        return render("accounts/invite_invalid.html", status=404)
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        with attempt(form, "name") as done:
            user = services.accept_invitation(token, name=form.name.data,
                                              password=form.password.data, language=chosen_language())
        if done:
            if current_user.is_authenticated:
                logout_user()
            start_session(user)
            flash(_("Welcome to %(company)s.", company=invitation.company.name), "success")
            return redirect(url_for("core.home"), 303)
    return render("accounts/invite_accept.html", form=form, invitation=invitation)

