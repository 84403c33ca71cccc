"""Catalog pages for buyers, the landed-cost calculator and the catalog JSON API (/api/v1)."""
from __future__ import annotations

import click
from flask import Blueprint, abort, jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.catalog import calculator, chart, pages, queries, texts
from app.catalog.choices import CATEGORIES, COUNTRIES, FULFILMENT, REGIMES
from app.catalog.models import TaxCategory  # noqa: F401  (models registered with the app)
from app.catalog.need import parse_need, parse_search, parse_sort
from app.catalog.services import today
from app.core.htmx import render
from app.extensions import db, limiter

# cli_group=None: `flask --app wsgi seed-bench` sits beside seed-demo.
bp = Blueprint("catalog", __name__, cli_group=None)

HISTORY_RANGES = (30, 90, 180)


def _vocab() -> dict:
    # Translated once per request: a comparison may show the same labels hundreds of times.
    def plain(mapping: dict) -> dict:
        return {k: str(v) for k, v in mapping.items()}

    return {"CATEGORIES": plain(CATEGORIES), "COUNTRIES": plain(COUNTRIES), "FULFILMENT": plain(FULFILMENT),
            "REGIMES": plain(REGIMES), "locale": str(get_locale() or "zh_CN"), "texts": texts}


def _api_error(field: str, message: str, status: int = 400):
    response = jsonify({"error": {"code": status, "field": field, "message": message}})
    response.status_code = status
    return response


# The page and the JSON API answer the same question, so they draw on one budget per
# client address (setting CATALOG_API_LIMIT): the page is no way around the API's limit.
calculator_limit = limiter.shared_limit(lambda: calculator.api_limit(), scope="catalog-landed-cost")


@bp.get("/landed-cost")
@calculator_limit
def calculator_page():
    """The calculator: a plain GET form; htmx swaps only the breakdown as fields change."""
    values = {**calculator.DEFAULTS, **request.args.to_dict()}
    result = error = None
    if request.args:
        try:
            parsed = calculator.parse(request.args, today())
            result = (parsed, calculator.calculate(parsed))
        except calculator.InputError as e:
            error = e
    categories = db.session.scalars(db.select(TaxCategory).where(TaxCategory.active.is_(True))
                                    .order_by(TaxCategory.code)).all()
    # A GET that explains its own bad input is still a good answer: 200, not 422, so the
    # breakdown swaps in as the buyer types without the browser logging a failure.
    return render("catalog/calculator.html", "catalog/_breakdown.html",
                  values=values, result=result, error=error, categories=categories,
                  currencies=calculator.CURRENCIES, **_vocab())


@bp.get("/api/v1/landed-cost")
@calculator_limit
def landed_cost_api():
    """Landed cost as JSON; 400 names the bad parameter. No login: it is a public calculator."""
    try:
        parsed = calculator.parse(request.args, today())
        cost = calculator.calculate(parsed)
    except calculator.InputError as e:
        return _api_error(e.field, e.message)
    body = cost.as_dict()
    body.update({"fx_day": parsed.fx_day.isoformat() if parsed.fx_day else None,
                 "regime_requested": parsed.regime.value, "notes": texts.notes_text(cost.notes)})
    return jsonify(body)


@bp.get("/catalog")
@login_required
def search():
    filters, errors = parse_search(request.args)
    results = queries.search(filters)
    return render("catalog/search.html", "catalog/_results.html", filters=filters, errors=errors,
                  results=results, args=request.args.to_dict(), **_vocab())


@bp.get("/catalog/products/<int:product_id>")
@login_required
def product(product_id: int):
    days = request.args.get("days", type=int)
    days = days if days in HISTORY_RANGES else 90
    data = pages.profile(product_id, days, today())
    if data is None:
        abort(404)
    labels = {r.facts.offer_id: r.facts.supplier_name for r in data.rows}
    svg = chart.build(data.history, labels, days, today())
    return render("catalog/product.html", "catalog/_history.html", data=data, chart=svg,
                  ranges=HISTORY_RANGES, days=days, **_vocab())


@bp.get("/catalog/products/<int:product_id>/compare")
@login_required
def compare(product_id: int):
    need, errors = parse_need(request.args, today())
    sort, descending = parse_sort(request.args)
    data = pages.comparison(product_id, need, sort, descending)
    if data is None:
        abort(404)
    return render("catalog/compare.html", "catalog/_compare.html", data=data, need=need, errors=errors,
                  sort=sort, descending=descending, args=request.args.to_dict(),
                  arrivals=texts.arrival_labels(data.rows), **_vocab())


@bp.get("/api/v1/products/<int:product_id>/offers")
def offers_api(product_id: int):
    """The comparison rows as JSON for a signed-in user; 400 names a bad parameter."""
    if not current_user.is_authenticated:
        return _api_error("session", _("Sign in to see offers."), 401)
    need, errors = parse_need(request.args, today())
    if errors:
        field = next(iter(errors))
        return _api_error(field, errors[field])
    data = pages.comparison(product_id, need)
    if data is None:
        return _api_error("product_id", _("No such product."), 404)
    rec = data.recommendation
    return jsonify({"product_id": product_id, "quantity": need.quantity,
                    "offers": [pages.row_json(r) for r in data.rows],
                    "recommendation": {"offer_id": rec.row.facts.offer_id, "reason": texts.recommendation_text(rec)}
                    if rec else None})


@bp.cli.command("seed-bench")
@click.option("--products", default=20_000, show_default=True)
@click.option("--offers", default=100_000, show_default=True)
def seed_bench_command(products: int, offers: int) -> None:
    """Load the demo catalog plus 20,000 products and 100,000 offers for benchmarks."""
    from app.catalog.seed import seed_bench

    summary = seed_bench(products, offers, echo=click.echo)
    db.session.commit()
    click.echo(f"catalog: {summary}")


@bp.cli.command("catalog-refresh-prices")
def refresh_prices_command() -> None:
    """Recompute every product's best landed price; run daily after the new FX rates arrive."""
    from app.catalog.services import refresh_best_prices

    count = refresh_best_prices()
    db.session.commit()
    click.echo(f"catalog: best landed prices refreshed for {count} products")
