"""Catalog pages, the landed-cost calculator and the catalog JSON API."""
from __future__ import annotations

import click
from flask import Blueprint

from app.extensions import db

# cli_group=None: `flask --app wsgi seed-bench` sits beside seed-demo.
bp = Blueprint("catalog", __name__, cli_group=None)


@bp.cli.command("seed-bench")
@click.option("--products", default=20_000, show_default=True)
@click.option("--offers", default=100_000, show_default=True)
def seed_bench_command(products: int, offers: int) -> None:
    """Load the demo catalog plus 20,000 products and 100,000 offers for benchmarks."""
    from app.catalog.seed import seed_bench

    summary = seed_bench(products, offers, echo=click.echo)
    db.session.commit()
    click.echo(f"catalog: {summary}")
