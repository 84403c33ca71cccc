"""Home page, the benchmark's bare endpoint and the health check."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask_login import current_user
from sqlalchemy import text

from app.core import home as panels
from app.core.htmx import render
from app.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/")
def home():
    return render("core/home.html", panels=panels.panels_for(current_user))


@bp.get("/hello")
def hello():
    """A bare endpoint for the benchmark baseline."""
    return "hello"


@bp.get("/healthz")
def healthz():
    """200 when the database and Redis both answer; 503 naming the part that does not."""
    status: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        status["db"] = "ok"
    except Exception as e:  # any failure means "not healthy"; the detail goes to the log
        current_app.logger.warning("healthz: database: %s", e)
        db.session.rollback()
        status["db"] = "error"
    try:
        from app.core.redis import redis_client

        redis_client().ping()
        status["redis"] = "ok"
    except Exception as e:
        current_app.logger.warning("healthz: redis: %s", e)
        status["redis"] = "error"
    healthy = all(v == "ok" for v in status.values())
    body = {"status": "ok" if healthy else "error", **status}
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
