"""Command-line tools: `flask --app wsgi seed-demo`."""
from __future__ import annotations

from importlib import import_module

import click
from flask import Flask

from app.extensions import db

# Each domain's demo data, loaded in this order. Every seeder is idempotent.
SEEDERS = [
    "app.accounts.seed",
    "app.catalog.seed",
    "app.notifications.seed",
]


def init_app(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load demo companies, users and data; safe to run again."""
        for module in SEEDERS:
            summary = import_module(module).seed_demo()
            db.session.commit()
            click.echo(f"{module.split('.')[1]}: {summary}")
