"""The app context RQ jobs run in.

A job called from a request or a test already has an app context and uses it.
In a worker, the worker class (app.core.worker) builds the app once and hands it
over with `set_app`; a plain `rq worker` builds it on the first job.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, has_app_context

_app: Flask | None = None


def set_app(app: Flask) -> None:
    """Give jobs the app to run in (the worker class does this before it forks)."""
    global _app
    _app = app


@contextmanager
def job_context() -> Iterator[None]:
    """Run the body inside the portal's app context, removing the session afterwards."""
    if has_app_context():
        yield
        return
    global _app
    if _app is None:
        from app import create_app

        _app = create_app()
    from app.extensions import db

    with _app.app_context():
        try:
            yield
        finally:
            db.session.remove()
