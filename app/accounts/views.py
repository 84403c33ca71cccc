"""Sign-up, login, profile and company members."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts import services, throttle
from app.accounts.auth import current_company_id, role_required
from app.accounts.forms import (
    AcceptInvitationForm,
    InviteForm,
    LoginForm,
    PasswordForm,
    RoleForm,
    SignupForm,
)
from app.accounts.models import BuyerRole
from app.core.htmx import redirect_htmx, render
from app.core.i18n import chosen_language
from app.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str:
    """Only same-site paths; anything else lands on the home page."""
    if target and target.isprintable() and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("core.home")


def start_session(user) -> None:
    """Sign `user` in on a fresh session: nothing planted before (a CSRF secret) survives."""
    session.clear()
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("core.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        if not throttle.allow_attempt(form.email.data):
            abort(429)
        user = services.authenticate(form.email.data, form.password.data)
        if user:
            db.session.commit()
            throttle.clear_account(form.email.data)
            start_session(user)
            return redirect(safe_next(form.next.data), 303)
        form.password.errors.append(_("Email or password is not correct."))
    return render("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    services.end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"), 303)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = services.sign_up(
                company_name=form.company_name.data, credit_code=form.credit_code.data,
                contact_phone=form.contact_phone.data, name=form.name.data,
                email=form.email.data, password=form.password.data, language=chosen_language())
        except services.AccountError as e:
            db.session.rollback()
            getattr(form, e.field or "email").errors.append(str(e.message))
        else:
            db.session.commit()
            start_session(user)
            flash(_("Welcome! Your company account is ready."), "success")
            return redirect(url_for("core.home"), 303)
    return render("accounts/signup.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.current_password.data, form.new_password.data)
        except services.AccountError as e:
            db.session.rollback()
            getattr(form, e.field or "current_password").errors.append(str(e.message))
        else:
            db.session.commit()
            login_user(user)  # this browser stays signed in with the new token
            flash(_("Your password has been changed. Other sessions were signed out."), "success")
            return redirect(url_for("accounts.profile"), 303)
    return render("accounts/profile.html", form=form)


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
def invite():
    form = InviteForm()
    new_link = None
    if form.validate_on_submit():
        try:
            created = services.invite(inviter=current_user, company_id=current_company_id(),
                                      email=form.email.data, role=BuyerRole(form.role.data),
                                      phone=form.phone.data)
        except services.AccountError as e:
            db.session.rollback()
            form.email.errors.append(str(e.message))
        else:
            # The link leaves the site (copied, sent by SMS): it uses the public address,
            # not whatever host this owner happens to browse by.
            new_link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(
                "accounts.accept", token=created.token)
            if created.invitation.phone:  # the SMS is queued in this transaction, sent after it
                from app.notifications.services import notify
                notify("member_invitation", (created.invitation.phone, current_user.language), about=created.invitation,
                       expires_at=created.invitation.expires_at, company=created.invitation.company.name,
                       link=new_link)
            db.session.commit()
            form = InviteForm(formdata=None)
    status = 200 if new_link or not form.errors else 422
    return render("accounts/members.html", "accounts/_members.html", status=status,
                  **_members_context(form, new_link))


def _member_change(change, done: str):
    """Apply one change to the members list, commit or roll back, and go back to the list."""
    try:
        change()
    except services.AccountError as e:
        db.session.rollback()
        flash(str(e.message), "error")
    else:
        db.session.commit()
        flash(done, "success")
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
        try:
            user = services.accept_invitation(token, name=form.name.data,
                                              password=form.password.data, language=chosen_language())
        except services.AccountError as e:
            db.session.rollback()
            form.name.errors.append(str(e.message))
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            start_session(user)
            flash(_("Welcome to %(company)s.", company=invitation.company.name), "success")
            return redirect(url_for("core.home"), 303)
    return render("accounts/invite_accept.html", form=form, invitation=invitation)
