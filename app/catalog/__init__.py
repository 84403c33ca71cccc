"""Catalog: suppliers, products, offers, FX rates, landed cost, comparison and price history.

Other domains use:
    models: Supplier, Product, Offer, TaxCategory, FxRate
    comparison(product_id, need) / offer_json(row)   costed, ranked offers of a product
    parse_need(args, today)                           a buyer's need from query parameters
    parse_search(args) / search(filters)              one page of the product search (keyset cursors)
    today()                                           the business day in China
    calculator, texts                                 the landed-cost calculator and its wording
    quote([(offer_id, quantity)], day) -> {offer_id: Quote}   offers priced for an order
    Regime, RETAIL_TRANSACTION_LIMIT_FEN, RETAIL_ANNUAL_LIMIT_FEN
    compute_landed_cost(...), TaxRates                the landed-cost rules themselves
"""
from __future__ import annotations

from flask import Flask

from app.catalog import calculator, texts
from app.catalog.landed_cost import RETAIL_ANNUAL_LIMIT_FEN, RETAIL_TRANSACTION_LIMIT_FEN, LandedCost, Regime, TaxRates
from app.catalog.landed_cost import compute as compute_landed_cost
from app.catalog.need import parse_need, parse_search
from app.catalog.pages import comparison
from app.catalog.pages import row_json as offer_json
from app.catalog.queries import decode_cursor, search
from app.catalog.quotes import Quote, quote
from app.catalog.services import today

__all__ = ["RETAIL_ANNUAL_LIMIT_FEN", "RETAIL_TRANSACTION_LIMIT_FEN", "LandedCost", "Quote", "Regime", "TaxRates",
           "calculator", "comparison", "compute_landed_cost", "decode_cursor", "offer_json", "parse_need", "parse_search",
           "quote", "register", "search", "texts", "today"]


def register(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from app.catalog import cli, jobs, ops_views, seed, views
    from app.core import navigation
    from app.core.cli import add_seeder
    from app.core.jobs import schedule

    app.register_blueprint(views.bp)
    app.register_blueprint(ops_views.bp)
    navigation.add(app, "catalog.search", _l("Catalog"), order=30)
    navigation.add(app, "catalog.calculator_page", _l("Landed cost"), order=40)
    navigation.add(app, "catalog_ops.index", _l("Catalog admin"), ("ops", "admin"), order=80)
    cli.init_app(app)
    add_seeder(app, "catalog", seed.seed_demo)
    # Offers start and stop being valid by date, so each product's stored best landed
    # price is recomputed just after midnight (saving a rate or tax queues its own).
    schedule(app, jobs.daily_refresh, cron="5 0 * * *", timeout=1800)
