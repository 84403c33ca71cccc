"""Kuajing merchant portal: the application factory.

Nothing runs at import time; `create_app` reads settings, binds extensions, wires the
unit of work and durable after-commit work, then lets each domain register itself
(blueprints, navigation entries, CLI commands, cron jobs), in that order.
"""
from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any

from dotenv import load_dotenv
from flask import Flask

from app import config as settings
from app.config import ConfigError
from app.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate

# Each domain package has `register(app)`; they are registered in this order.
DOMAINS = [
    "app.accounts",
    "app.notifications",
    "app.catalog",
    "app.ledger",
    "app.payments",
    "app.orders",
    "app.statements",
    "app.helpdesk",
    "app.api",
]

__all__ = ["ConfigError", "create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build a configured portal. `config` overrides settings read from the environment."""
    load_dotenv(settings.BASE_DIR / ".env", override=False)
    app = Flask(
        __name__,
        template_folder=str(settings.BASE_DIR / "templates"),
        static_folder=str(settings.BASE_DIR / "static"),
        instance_path=str(settings.INSTANCE_DIR),
    )
    app.config.update(settings.load())
    if config:
        app.config.update(config)
    problems = settings.problems(app.config)
    if problems:
        raise ConfigError("cannot start: " + "; ".join(problems))
    register_extensions(app)
    register_core(app)
    for module in DOMAINS:
        import_module(module).register(app)
    return app


def register_extensions(app: Flask) -> None:
    from app.core import i18n

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    limiter.init_app(app)
    login_manager.init_app(app)


def register_core(app: Flask) -> None:
    from app.core import audit, bounds, cli, db as unit_of_work, errors, jobs, security, templating, views

    app.url_map.converters["int"] = security.BoundedInt
    unit_of_work.init_app(app)
    bounds.init_app(app)
    jobs.init_app(app)
    audit.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    app.register_blueprint(views.bp)
