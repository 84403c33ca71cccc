"""One refusal type for every domain, and one way to render any error per channel.

A service that cannot make a change raises `DomainError` (or a subclass) with the
message the user reads and, optionally, the form field it is about. The unit of work
(`app.core.db`) rolls the whole request, command or job back, and the refusal is
shown as the channel needs it: beside the field on a page, as a fragment for htmx,
or in the API's one envelope `{"error": {"code", "field", "message"}}`.
"""
from __future__ import annotations

import math
import time
import traceback
from typing import Any, ClassVar

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.core.htmx import is_htmx
from app.core.i18n import wait_text


class DomainError(Exception):
    """A change the rules refuse.

    `message` is shown to the user (a lazy string, rendered in the language of the
    request that shows it); `field` names the input it is about, or None; `code` is a
    stable identifier for API clients; `status` the HTTP status it answers with.
    """

    code: ClassVar[str] = "invalid"
    status: ClassVar[int] = 422
    # A refusal that is itself a change which must stand (a counted wrong code, a
    # recorded refused attempt): the unit of work commits instead of rolling back.
    keeps_changes: ClassVar[bool] = False

    def __init__(self, message: Any, field: str | None = None, *, code: str | None = None,
                 status: int | None = None, retry_after: int | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
        if code is not None:
            self.code = code  # type: ignore[misc]
        if status is not None:
            self.status = status  # type: ignore[misc]
        self.retry_after = retry_after


class RecordedRefusal(DomainError):
    """A refusal whose bookkeeping (a wrong try counted, a void code kept) is committed."""

    keeps_changes = True


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


class TooMany(DomainError):
    code = "rate_limited"
    status = 429


# A failed statement's message carries its whole SQL: megabytes for a bulk write, which
# would flood the log. Each part of a logged traceback is cut to this many characters.
LOG_PART_LIMIT = 2_000


def _cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    note = f"… [{len(text):,} characters in all]\n"
    return text[:max(limit - len(note), 0)] + note


def describe(error: BaseException, limit: int = LOG_PART_LIMIT) -> str:
    """One line naming the error and its message, at most `limit` characters."""
    return _cut(f"{type(error).__name__}: {error}", limit).rstrip("\n")


def bounded_traceback(error: BaseException, part_limit: int = LOG_PART_LIMIT) -> str:
    """The error's traceback (causes included) as text, each frame and message cut to
    `part_limit` characters, for logging an error whose message may be huge."""
    return "".join(_cut(part, part_limit) for part in traceback.format_exception(error)).rstrip("\n")


HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
              422: "invalid", 429: "rate_limited", 500: "server_error", 503: "unavailable"}


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood. Please check what you entered and try again.")),
        401: (_("Please sign in"), _("Sign in to use this.")),
        403: (_("Not allowed"), _("Your account does not have access to this page.")),
        404: (_("Page not found"), _("The page you asked for does not exist or has moved.")),
        405: (_("Not allowed"), _("This address does not accept that kind of request.")),
        409: (_("Conflict"), _("This was changed at the same time by another request. Please reload and try again.")),
        413: (_("Too large"), _("The upload is larger than the portal accepts.")),
        422: (_("Not possible"), _("This cannot be done.")),
        429: (_("Too many attempts"), ""),  # says how long to wait: see render_error
        500: (_("Something went wrong"), _("An unexpected error occurred. It has been logged; please try again shortly.")),
        503: (_("Temporarily unavailable"), _("A service the portal depends on is not answering. Please try again shortly.")),
    }


def limit_wait() -> int:
    """Seconds until the rate limit this request ran into lets it through (60 when unknown)."""
    from app.extensions import limiter

    try:
        hit = limiter.current_limit
        if hit is not None and hit.breached:
            return max(1, math.ceil(hit.reset_at - time.time()))
    except Exception:  # the limit's storage is down: an estimate is enough for a header
        pass
    return 60


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def json_error(status: int, message: Any, *, code: str | None = None, field: str | None = None,
               retry_after: int | None = None) -> Response:
    """The API's one error envelope."""
    response = jsonify({"error": {"code": code or HTTP_CODES.get(status, str(status)), "field": field,
                                  "message": str(message)}})
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def render_error(status: int, detail: Any = None, *, code: str | None = None, field: str | None = None,
                 retry_after: int | None = None) -> Response:
    """An error as the channel needs it: JSON envelope, htmx fragment into #flash, or a page.

    A 429 always says when to come back, in Retry-After and in the message."""
    if status == 429 and retry_after is None:
        retry_after = limit_wait()
    title, message = _messages().get(status, (str(status), ""))
    if detail:
        message = str(detail)
    elif status == 429:
        message = _("Too many attempts in a short time. Please try again in %(wait)s.",
                    wait=wait_text(retry_after or 60))
    if wants_json():
        return json_error(status, message, code=code, field=field, retry_after=retry_after)
    context = {"code": status, "title": title, "message": message}
    if is_htmx():
        response = Response(render_template("errors/_fragment.html", **context), status)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        response = Response(render_template("errors/page.html", **context), status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    response.vary.add("HX-Request")
    return response


def init_app(app: Flask) -> None:
    from app.core import db as uow

    @app.errorhandler(DomainError)
    def _refused(error: DomainError):
        uow.refused(error)
        return render_error(error.status, error.message, code=error.code, field=error.field,
                            retry_after=error.retry_after)

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Response:
        uow.rollback()
        return render_error(400, _("Your session expired or the form was not sent from this site. Reload the page and try again."),
                            code="csrf")

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        uow.rollback()
        # A limit declared with its own message (Flask-Limiter's error_message) says it;
        # Flask-Limiter then sets Retry-After (and X-RateLimit-*) from the limit it hit.
        limit = getattr(error, "limit", None)
        detail = error.description if error.code == 429 and getattr(limit, "error_message", None) else None
        return render_error(error.code or 500, detail)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        app.logger.error("unhandled error on %s %s\n%s", request.method, request.path, bounded_traceback(error))
        uow.rollback()
        return render_error(InternalServerError.code)
