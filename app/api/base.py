"""The API blueprint and what every endpoint shares: who is asking, and bad parameters."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core.errors import DomainError

bp = Blueprint("api", __name__, url_prefix="/api/v1")

F = TypeVar("F", bound=Callable[..., Any])


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


class BadParameter(DomainError):
    code = "invalid"
    status = 400


def signed_in(view: F) -> F:
    """Refuse with 401 in the envelope (never a redirect to the login page) when nobody is signed in."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            raise Unauthorized(_l("Sign in to use the API."), "session")
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
