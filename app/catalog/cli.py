"""Catalog commands: `flask --app wsgi seed-bench` and `catalog-refresh-prices`."""
from __future__ import annotations

import click
from flask import Flask

from app.core.db import cli_command


def init_app(app: Flask) -> None:
    @app.cli.command("seed-bench")
    @click.option("--products", default=20_000, show_default=True)
    @click.option("--offers", default=100_000, show_default=True)
    @cli_command
    def seed_bench_command(products: int, offers: int) -> None:
        """Load the demo catalog plus 20,000 products and 100,000 offers for benchmarks."""
        from app.catalog.seed import seed_bench

        click.echo(f"catalog: {seed_bench(products, offers, echo=click.echo)}")

    @app.cli.command("catalog-refresh-prices")
    @cli_command
    def refresh_prices_command() -> None:
        """Recompute every product's best landed price; run daily after the new FX rates arrive."""
        from app.catalog.services import refresh_best_prices

        click.echo(f"catalog: best landed prices refreshed for {refresh_best_prices()} products")
