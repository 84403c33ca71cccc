"""Error pages, full or as an htmx fragment, in the user's language."""
from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.core.htmx import is_htmx


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood. Please check what you entered and try again.")),
        403: (_("Not allowed"), _("Your account does not have access to this page.")),
        404: (_("Page not found"), _("The page you asked for does not exist or has moved.")),
        405: (_("Not allowed"), _("This address does not accept that kind of request.")),
        413: (_("Too large"), _("The upload is larger than the portal accepts.")),
        429: (_("Too many attempts"), _("Too many requests in a short time. Please wait a few minutes and try again.")),
        500: (_("Something went wrong"), _("An unexpected error occurred. It has been logged; please try again shortly.")),
        503: (_("Temporarily unavailable"), _("A service the portal depends on is not answering. Please try again shortly.")),
    }


def render_error(code: int, detail: str | None = None) -> Response:
    title, message = _messages().get(code, (str(code), ""))
    if detail:
        message = detail
    wants_json = request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )
    if wants_json:
        response = jsonify({"error": {"code": code, "title": title, "message": message}})
        response.status_code = code
        return response
    context = {"code": code, "title": title, "message": message}
    if is_htmx():
        response = Response(render_template("errors/_fragment.html", **context), code)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        response = Response(render_template("errors/page.html", **context), code)
    response.vary.add("HX-Request")
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Response:
        return render_error(400, _("Your session expired or the form was not sent from this site. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        if error.code == 429:
            return render_error(429)
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        from app.extensions import db

        db.session.rollback()
        return render_error(InternalServerError.code)
