"""The API blueprint and what every endpoint shares: who is asking, limits, paging.

Two ways in. A system sends `Authorization: Bearer kj_…`: the token alone decides who
acts (a session cookie beside it is ignored) and no CSRF token is needed, since a page
on another site cannot make a browser send that header (the API answers no CORS
preflight). A browser signed in to the portal sends its session cookie, and every
unsafe request must carry the page's CSRF token in `X-CSRFToken`, as forms do.
"""
from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import accounts
from app.core.auth import has_role
from app.core.errors import DomainError
from app.core.security import client_key
from app.extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# CSRF is checked below, for session requests only.
csrf.exempt(bp)

F = TypeVar("F", bound=Callable[..., Any])


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class BadParameter(DomainError):
    code = "invalid"
    status = 400


def bearer() -> str | None:
    """The token of an `Authorization: Bearer …` header; "" for any other Authorization; None without one."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.strip().partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


@bp.before_request
def _csrf_for_sessions() -> None:
    if bearer() is None and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()


@bp.after_request
def _challenge(response: Response) -> Response:
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _caller_key() -> str:
    """Who a request's budget belongs to: its token (by hash, before any query), else the
    signed-in user, else its client."""
    secret = bearer()
    if secret:
        return "token:" + accounts.tokens.digest(secret)[:32]
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return "client:" + client_key()


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


# One budget for all of the API per caller, and one per client address; both are checked
# before the token is, so that a client trying tokens is counted too.
_per_caller = limiter.shared_limit(_setting("API_LIMIT_PER_USER"), scope="api-caller", key_func=_caller_key)
_per_client = limiter.shared_limit(_setting("API_LIMIT_PER_IP"), scope="api-client")


def _authenticate() -> None:
    secret = bearer()
    if secret is None:
        if not current_user.is_authenticated:
            raise Unauthorized(_l("Sign in, or send an API token in the header Authorization: Bearer <token>."),
                               "session")
        return
    token = accounts.tokens.authenticate(secret) if secret else None
    if token is None:
        raise Unauthorized(_l("This API token is not valid: it is unknown, revoked, or its account is deactivated."),
                           "Authorization")
    accounts.act_for_request(token.user)


def authenticated(view: F) -> F:
    """The caller, by token or session, within both rate limits; 401 in the envelope otherwise."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        _authenticate()
        return view(*args, **kwargs)

    return _per_client(_per_caller(checked))  # type: ignore[return-value]


def company_id() -> int:
    """The company the caller acts for; 403 for an account that belongs to none (staff)."""
    found = getattr(current_user, "company_id", None)
    if found is None:
        raise Forbidden(_l("This account does not belong to a company, so it has no orders."), "Authorization")
    return found


BUYING_ROLES = ("owner", "buyer")


def buying_company_id() -> int:
    """The company the caller places, pays and cancels orders for; 403 unless owner or buyer."""
    found = company_id()
    if not has_role(current_user, *BUYING_ROLES):
        raise Forbidden(_l("Your role can see the company's orders but not place, pay or cancel them."),
                        "Authorization")
    return found


# --- opaque cursors ----------------------------------------------------------------------

def cursor_out(kind: str, position: str | None) -> str | None:
    """A cursor for the next page: clients keep it as it is, whatever it holds inside."""
    if position is None:
        return None
    return base64.urlsafe_b64encode(f"{kind}:{position}".encode()).decode().rstrip("=")


def cursor_in(kind: str, name: str = "cursor") -> str | None:
    """What the request's cursor holds (None without one); 400 for one this API did not hand out."""
    raw = request.args.get(name, "")
    if not raw:
        return None
    try:
        if len(raw) > 200 or not raw.isascii():
            raise ValueError
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (ValueError, binascii.Error):
        text = ""
    found, sep, position = text.partition(":")
    if found != kind or not sep or not position:
        raise BadParameter(_l("This cursor is not one the API gave: pass next_cursor as it came."), name)
    return position
