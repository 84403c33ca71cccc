"""Catalog pages for buyers and the landed-cost calculator (the JSON API is in app.api)."""
from __future__ import annotations

from flask import Blueprint, abort, request
from flask_babel import get_locale
from flask_login import login_required

from app.catalog import calculator, chart, pages, queries, texts
from app.catalog.choices import ATTRIBUTES, CATEGORIES, COUNTRIES, FULFILMENT, REGIMES, SORT_CHOICES
from app.catalog.models import TaxCategory
from app.catalog.need import parse_need, parse_search, parse_sort
from app.catalog.services import today
from app.core import money
from app.core.htmx import is_htmx, render
from app.core.i18n import translated
from app.extensions import db

bp = Blueprint("catalog", __name__)

HISTORY_RANGES = (30, 90, 180)


def _vocab() -> dict:
    return {"CATEGORIES": translated(CATEGORIES), "COUNTRIES": translated(COUNTRIES),
            "FULFILMENT": translated(FULFILMENT), "REGIMES": translated(REGIMES),
            "SORT_CHOICES": translated(SORT_CHOICES), "ATTRIBUTES": translated(ATTRIBUTES),
            "locale": str(get_locale() or "zh_CN"), "texts": texts}


@bp.get("/landed-cost")
@calculator.shared_limit
def calculator_page():
    """The calculator: a plain GET form; htmx swaps only the breakdown as fields change."""
    result = error = None
    if request.args:
        try:
            parsed = calculator.parse(request.args, today())
            result = (parsed, calculator.calculate(parsed))
        except calculator.InputError as e:
            error = e
    categories = db.session.scalars(db.select(TaxCategory).where(TaxCategory.active.is_(True))
                                    .order_by(TaxCategory.code)).all()
    values = calculator.form_values(request.args.to_dict(), categories)
    # A GET that explains its own bad input is still a good answer: 200, not 422, so the
    # breakdown swaps in as the buyer types without the browser logging a failure.
    return render("catalog/calculator.html", "catalog/_breakdown.html",
                  values=values, result=result, error=error, categories=categories,
                  currencies=money.CODES, **_vocab())


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
    after = request.args.get("after") or ""
    data = pages.profile(product_id, days, today(), after)
    if data is None:
        abort(404)
    labels = {r.facts.offer_id: r.facts.supplier_name for r in data.charted}
    charts = chart.build_all(data.history, labels, days, today())
    # htmx asks either for the next offers (a cursor) or for another period of the chart.
    fragment = "catalog/_market_rows.html" if after else "catalog/_history.html"
    return render("catalog/product.html", fragment, data=data, charts=charts, ranges=HISTORY_RANGES, days=days,
                  args=request.args.to_dict(), partial=is_htmx(), **_vocab())


@bp.get("/catalog/products/<int:product_id>/compare")
@login_required
def compare(product_id: int):
    need, errors = parse_need(request.args, today())
    sort, descending = parse_sort(request.args)
    after = request.args.get("after") or ""
    opened = request.args.get("breakdown", type=int)
    data = pages.comparison(product_id, need, sort, descending, after, opened=opened)
    if data is None or (opened and data.opened is None and is_htmx()):
        abort(404)
    # htmx asks for one offer's breakdown as it opens, or for the next rows ("more"),
    # or for the table after a change of need.
    fragment = ("catalog/_offer_breakdown.html" if opened else
                "catalog/_compare_rows.html" if after else "catalog/_compare.html")
    return render("catalog/compare.html", fragment, data=data, need=need, errors=errors,
                  sort=sort, descending=descending, args=request.args.to_dict(), partial=is_htmx(),
                  arrivals=texts.arrival_labels(data.rows), **_vocab())
