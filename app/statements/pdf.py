"""PDF documents (statements, settlement statements) rendered by WeasyPrint from templates.

A document is a Jinja template extending `statements/pdf/_base.html`: A4, the letterhead
on the first page, "x / y" in every page's footer, table headers repeated on each page,
and every character in a CJK font (Debian's fonts-wqy-microhei; without it each Chinese
character would silently become a box). WeasyPrint may read our own static files and
nothing else: no address in a document, whatever a company or product name holds, can
make the renderer open another file or reach the network.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template

log = logging.getLogger(__name__)


def _static_only_fetcher(static_root: Path):
    from weasyprint.urls import URLFetcher

    class StaticOnly(URLFetcher):
        """Serves file:// addresses inside the static folder; refuses every other address."""

        def fetch(self, url: str, headers: Any = None):
            parts = urlsplit(url)
            if parts.scheme == "file":
                path = Path(unquote(parts.path)).resolve()
                if path.is_relative_to(static_root) and path.is_file():
                    return super().fetch(path.as_uri(), headers)
            log.warning("a PDF asked for %s, which is not one of our static files: refused", url[:200])
            raise ValueError("only the portal's own static files are loaded into PDFs")

    return StaticOnly(allowed_protocols=("file",), allow_redirects=False)


def render(template: str, **context: Any) -> bytes:
    """The PDF of `template` rendered with `context` (in the current locale and app context).

    Relative addresses in the template (`css/pdf.css`) resolve inside the static folder.
    """
    from weasyprint import HTML

    static_root = Path(current_app.static_folder).resolve()
    html = render_template(template, **context)
    document = HTML(string=html, base_url=static_root.as_uri() + "/", url_fetcher=_static_only_fetcher(static_root))
    return document.write_pdf()
