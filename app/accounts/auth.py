"""Login sessions: how a request's cookie becomes the signed-in user (role checks and
company scoping, which every domain uses, are in app.core.auth)."""
from __future__ import annotations

from functools import cache

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.extensions import db, login_manager


def init_login(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    # "basic", not "strong": phones in WeChat change IP address all the time, and a
    # replayed cookie is already stopped by the per-user session token.
    login_manager.session_protection = "basic"

    @login_manager.unauthorized_handler
    def _unauthorized():
        from flask import flash, redirect, request, url_for

        from app.core.htmx import is_htmx, redirect_htmx

        # Come back to the page, never to a POST-only address; htmx must redirect the
        # whole window rather than swap the login page into a region.
        target = request.full_path.rstrip("?") if request.method == "GET" and not is_htmx() else None
        if target is None and is_htmx():
            target = request.headers.get("HX-Current-URL")
        flash(str(login_manager.login_message), login_manager.login_message_category)
        location = url_for("accounts.login", next=_local_path(target))
        return redirect_htmx(location) if is_htmx() else redirect(location)

    @login_manager.user_loader
    def _load(identity: str):
        user_id, _, token = identity.partition(":")
        if not (user_id.isascii() and user_id.isdigit()) or not token or int(user_id) > 2**31 - 1:
            return None
        # One query per request: every page shows the user's company and role.
        user = db.session.execute(_user_statement(), {"user_id": int(user_id)}).unique().scalar_one_or_none()
        # A cookie minted before logout or a password change carries a stale token.
        if user is None or not user.active or user.session_token != token:
            return None
        return user


@cache
def _user_statement():
    """The signed-in user with memberships and company, built once: it runs on every request."""
    from sqlalchemy import Integer, bindparam, select
    from sqlalchemy.orm import joinedload

    from app.accounts.models import Membership, User

    return (select(User).options(joinedload(User.memberships).joinedload(Membership.company))
            .where(User.id == bindparam("user_id", type_=Integer)))


def _local_path(url: str | None) -> str | None:
    from urllib.parse import urlsplit

    if not url:
        return None
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def act_for_request(user) -> None:
    """Make `user` the current user of this request only: no session is read or written.

    For API tokens, which authenticate each request by themselves. Flask-Login keeps the
    request's user in `g`; its own `login_user` would also put them in the session cookie.
    """
    login_manager._update_request_context_with_user(user)
