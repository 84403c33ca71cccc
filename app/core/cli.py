"""Command-line tools: `flask --app wsgi seed-demo`, and the registry domains add seeders to."""
from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask, current_app

from app.core.db import cli_command


def add_seeder(app: Flask, name: str, seed: Callable[[], str]) -> None:
    """Let `seed-demo` load this domain's demo data (seeders run in registration order)."""
    app.extensions.setdefault("kj_seeders", []).append((name, seed))


def init_app(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @cli_command
    def seed_demo() -> None:
        """Load demo companies, users and data; safe to run again."""
        for name, seed in current_app.extensions.get("kj_seeders", []):
            click.echo(f"{name}: {seed()}")

    @app.cli.command("jobs-sweep")
    def jobs_sweep() -> None:
        """Enqueue after-commit work whose job was lost (Redis down, worker killed); cron runs it every minute."""
        from app.core.jobs import sweep

        click.echo(f"{sweep()} intent(s) enqueued")
