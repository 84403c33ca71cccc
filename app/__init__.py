"""Kuajing merchant portal: the application factory.

Nothing runs at import time; `create_app` reads settings, binds extensions,
registers blueprints, error handlers and CLI commands, in that order.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dotenv import load_dotenv
from flask import Flask

from app import config as settings
from app.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate

# Domain packages whose blueprint is registered, in order.
BLUEPRINTS = [
    "app.core.views",
    "app.accounts.views",
    "app.catalog.views",
    "app.catalog.ops_views",
    "app.notifications.views",
]


class ConfigError(RuntimeError):
    """The settings cannot run the portal safely (say, production without its own keys)."""


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
    from app.core.security import BoundedInt

    app.url_map.converters["int"] = BoundedInt
    if config:
        app.config.update(config)
    if app.config["ENV_NAME"] == "production":
        problems = settings.production_problems(app.config)
        if problems:
            raise ConfigError("cannot start in production: " + "; ".join(problems))
    elif not app.config.get("SECRET_KEY"):
        raise ConfigError("SECRET_KEY is not set")
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_errors(app)
    register_cli(app)
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
    from app.accounts import auth

    auth.init_login(app)


def register_blueprints(app: Flask) -> None:
    from importlib import import_module

    for module in BLUEPRINTS:
        app.register_blueprint(import_module(module).bp)


def register_request_hooks(app: Flask) -> None:
    from app.core import security, templating

    security.init_app(app)
    templating.init_app(app)


def register_errors(app: Flask) -> None:
    from app.core import errors

    errors.init_app(app)


def register_cli(app: Flask) -> None:
    from app.core import cli

    cli.init_app(app)
