"""JSON API v1 (`/api/v1`): one error envelope, one module per domain.

Every error under /api answers `{"error": {"code", "field", "message"}}` (see
app.core.errors); input goes through the same bounded parsers as the pages.
"""
from __future__ import annotations

from flask import Flask

__all__ = ["register"]


def register(app: Flask) -> None:
    from app.api import catalog, orders, refunds, statements, tickets  # noqa: F401  (routes on the api blueprint)
    from app.api.base import bp

    app.register_blueprint(bp)
