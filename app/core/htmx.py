"""Render a page, or only its fragment when htmx asks for it."""
from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template, request


def is_htmx() -> bool:
    """An htmx request that wants a fragment (a boosted link wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def render(page: str, fragment: str | None = None, status: int = 200, **context: Any) -> Response:
    """Render `page`, or `fragment` alone for an htmx request; always `Vary: HX-Request`.

    Both templates see the same context, so the page simply includes the fragment.
    """
    template = fragment if (fragment and is_htmx()) else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def redirect_htmx(location: str) -> Response:
    """Redirect a plain request with 303, an htmx request with HX-Redirect."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    response = make_response("", 303)
    response.headers["Location"] = location
    return response
