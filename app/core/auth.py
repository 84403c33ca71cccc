"""Role checks and company scoping, for every domain's views and queries.

They read only what every signed-in user offers (`roles()`, `company_id`), so core
knows nothing of how accounts store them.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select, select

from app.extensions import db

F = TypeVar("F", bound=Callable[..., Any])

STAFF_ROLES = frozenset({"agent", "ops", "finance_admin", "admin", "staff"})


def has_role(user: Any, *roles: str) -> bool:
    """True when `user` holds one of `roles`; staff with `admin` pass every staff check."""
    if not getattr(user, "is_authenticated", False):
        return False
    have, wanted = user.roles(), frozenset(roles)
    return bool(have & wanted) or ("admin" in have and bool(wanted & STAFF_ROLES))


def role_required(*roles: str) -> Callable[[F], F]:
    """Let the view run only for a signed-in user holding one of `roles`; 403 otherwise."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not has_role(current_user, *roles):
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
