"""Catalog endpoints: the public landed-cost calculator and a product's offers."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import lazy_gettext as _l

from app.api.base import BadParameter, bp, signed_in
from app.catalog import calculator, comparison, offer_json, parse_need, texts, today
from app.core import numbers
from app.core.errors import NotFound


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


@bp.get("/products/<int:product_id>/offers")
@signed_in
def offers(product_id: int):
    """The comparison rows as JSON for a signed-in user, `limit` (≤ 200) at a time, best
    first; `next_cursor` (null on the last page) asks for the next ones. 400 names a bad parameter."""
    need, errors = parse_need(request.args, today())
    if errors:
        field = next(iter(errors))
        raise BadParameter(errors[field], field)
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
