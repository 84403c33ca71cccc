"""Account commands: `flask --app wsgi api-token create EMAIL` for systems set up from a shell."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l

from app.core.db import cli_command
from app.core.errors import DomainError

api_token = AppGroup("api-token", help="Tokens for the JSON API (/api/v1).")


@cli_command
def _create(email: str, name: str) -> str:
    from app.accounts import tokens
    from app.accounts.services import find_user_by_email

    user = find_user_by_email(email)
    if user is None:
        raise DomainError(_l("There is no account with this email."), "email")
    return tokens.create(user, name).secret


@api_token.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="What the token is for, as its owner sees it.")
def create_command(email: str, name: str) -> None:
    """Create an API token acting as the user with EMAIL and print it, alone on its line.

    It is printed once, after it is saved; only its hash is kept.
    """
    secret = _create(email, name.strip()[:60] or "cli")
    click.echo(f"API token for {email} (shown once; revoke it on the account page):", err=True)
    click.echo(secret)


def init_app(app: Flask) -> None:
    app.cli.add_command(api_token)
