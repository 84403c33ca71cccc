"""Login sessions, role checks and company scoping, used by every domain."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import Select, select

from app.extensions import db, login_manager

F = TypeVar("F", bound=Callable[..., Any])


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
        from sqlalchemy.orm import joinedload

        from app.accounts.models import Membership, User

        user_id, _, token = identity.partition(":")
        if not (user_id.isascii() and user_id.isdigit()) or not token:
            return None
        # One query per request: every page shows the user's company and role.
        user = db.session.get(User, int(user_id), options=[
            joinedload(User.memberships).joinedload(Membership.company)])
        # A cookie minted before logout or a password change carries a stale token.
        if user is None or not user.active or user.session_token != token:
            return None
        return user


def _local_path(url: str | None) -> str | None:
    from urllib.parse import urlsplit

    if not url:
        return None
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def role_required(*roles: str) -> Callable[[F], F]:
    """Let the view run only for a signed-in user holding one of `roles`.

    Staff with the `admin` role pass every staff check. Anyone else gets 403.
    """
    wanted = frozenset(roles)

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            have = current_user.roles()
            staff_roles = {"agent", "ops", "finance_admin", "admin", "staff"}
            if not (have & wanted) and not ("admin" in have and wanted & staff_roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def current_company_id() -> int:
    """The buyer company the signed-in user acts for; 403 when there is none."""
    company_id = getattr(current_user, "company_id", None)
    if company_id is None:
        abort(403)
    return company_id


def scoped(model: Any, stmt: Select | None = None) -> Select:
    """`stmt` (default: select(model)) limited to the current user's company.

    Every query for company-owned rows goes through here, so a page can never
    list another company's data.
    """
    stmt = stmt if stmt is not None else select(model)
    return stmt.where(model.company_id == current_company_id())


def get_scoped_or_404(model: Any, ident: int) -> Any:
    """One row of the current company by primary key; 404 for anything else."""
    row = db.session.scalar(scoped(model).where(model.id == ident))
    if row is None:
        abort(404)
    return row
