"""Catalog endpoints: the public landed-cost calculator, the product search and a product's offers."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from app import catalog
from app.api.base import BadParameter, authenticated, bp, cursor_in, cursor_out
from app.catalog import calculator, comparison, offer_json, parse_need, texts, today
from app.core import numbers
from app.core.errors import NotFound

# The search page's filters, by the same names; anything else in the query is ignored.
SEARCH_FILTERS = ("q", "brand", "gtin", "category", "country", "min_price", "max_price")


@bp.get("/landed-cost")
@calculator.shared_limit
def landed_cost():
    """Landed cost as JSON; 400 names the bad parameter. No login: it is a public calculator."""
    parsed = calculator.parse(request.args, today())
    cost = calculator.calculate(parsed)
    body = cost.as_dict()
    body.update({"fx_day": parsed.fx_day.isoformat() if parsed.fx_day else None,
                 "regime_requested": parsed.regime.value, "notes": texts.notes_text(cost.notes)})
    return jsonify(body)


OFFERS_PAGE, MAX_OFFERS_PAGE = 50, 200


def _limit(raw: str | None) -> int:
    if not (raw or "").strip():
        return OFFERS_PAGE
    try:
        return numbers.parse_int(raw, 1, MAX_OFFERS_PAGE)
    except numbers.NumberError as e:
        raise BadParameter(e.message(), "limit") from None


def _first_error(errors: dict[str, str]) -> None:
    if errors:
        field = next(iter(errors))
        raise BadParameter(errors[field], field)


@bp.get("/products")
@authenticated
def products():
    """One page of the catalog search, cheapest landed unit first, in one query."""
    args = {name: request.args[name] for name in SEARCH_FILTERS if name in request.args}
    after = cursor_in("p")
    if after is not None:
        if catalog.decode_cursor(after) is None:
            raise BadParameter(_l("This cursor is not one the API gave: pass next_cursor as it came."), "cursor")
        args["after"] = after
    filters, errors = catalog.parse_search(args)
    _first_error(errors)
    page = catalog.search(filters)
    locale = str(get_locale() or "")
    return jsonify({"items": [{
        "id": hit.product.id, "name": hit.product.name(locale), "name_zh": hit.product.name_zh,
        "name_en": hit.product.name_en, "brand": hit.product.brand, "model": hit.product.model,
        "gtin": hit.product.gtin, "category": hit.product.category, "image_url": hit.product.image_url,
        "offer_count": hit.product.offer_count, "best_unit_landed_fen": hit.product.best_landed_fen,
        "best_supplier": hit.best_supplier, "best_offer_id": hit.product.best_offer_id,
    } for hit in page.hits], "next_cursor": cursor_out("p", page.more)})


@bp.get("/products/<int:product_id>/offers")
@authenticated
def offers(product_id: int):
    """The comparison rows as JSON, `limit` (≤ 200) at a time, best first; `next_cursor`
    (null on the last page) asks for the next ones. 400 names a bad parameter."""
    need, errors = parse_need(request.args, today())
    _first_error(errors)
    data = comparison(product_id, need, after=request.args.get("cursor") or "", limit=_limit(request.args.get("limit")))
    if data is None:
        raise NotFound(_l("No such product."), "product_id")
    if data.bad_cursor:
        raise BadParameter(_l("This cursor is not one this list gave out; start again without it."), "cursor")
    rec = data.recommendation
    return jsonify({"product_id": product_id, "quantity": need.quantity, "total": data.total,
                    "offers": [offer_json(r) for r in data.rows], "next_cursor": data.more,
                    "recommendation": {"offer_id": rec.row.facts.offer_id, "reason": texts.recommendation_text(rec)}
                    if rec else None})
