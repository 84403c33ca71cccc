"""Refund endpoints: a buyer asks for one on an order; platform operators (ops) and finance
(finance_admin) approve or reject it; anyone who may see the order reads it.

A buyer reaches only the refunds of their company's orders (another company's is 404, as
if it did not exist); the desk's roles reach every refund.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.api import params
from app.api.base import BadParameter, Forbidden, authenticated, bp, buying_company_id
from app.core import numbers
from app.core.auth import has_role
from app.core.errors import NotFound
from app.orders import aftersale, aftersale_queries, services
from app.orders.models import Order
from app.payments.models import Declaration, Refund

DECIDERS = ("ops", "finance_admin")
REASON_MAX = 200


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def refund_json(refund: Refund, order: Order) -> dict[str, Any]:
    """The refund object (README, "The refund object")."""
    row = aftersale_queries.refund_rows(order, [refund])[0]
    return {"id": refund.id, "order_id": order.id, "state": row.state, "amount_fen": refund.amount_fen,
            "reason": refund.reason, "lines": (refund.detail or {}).get("lines", []), "whole": row.whole,
            "note": row.note, "failure": str(row.failure) if row.failure else None,
            "out_refund_no": refund.out_refund_no, "requested_at": _time(refund.created_at),
            "refunded_at": _time(refund.settled_at)}


def _declaration_json(d: Declaration, suppliers: dict[int, str]) -> dict[str, Any]:
    return {"sub_order_no": d.sub_order_no, "supplier": suppliers.get(d.party_id), "state": d.state.value,
            "identity_check": d.cert_check_result, "explanation": d.explanation}


def aftersale_json(order: Order, refunds: list[Refund], declarations: list[Declaration]) -> dict[str, Any]:
    """What the order object says of refunds, customs and shipping."""
    suppliers = aftersale_queries.supplier_names(order)
    customs = None
    if order.regime == "retail":
        rows = aftersale_queries.customs_rows(order, declarations)
        customs = {"state": min((r.state for r in rows), key=_CUSTOMS_ORDER.index) if rows else None,
                   "declarations": [_declaration_json(d, suppliers) for d in declarations]}
    return {"refunded_fen": order.refunded_fen, "refunds": [refund_json(r, order) for r in refunds],
            "customs": customs,
            "shipments": [{"carrier": s.carrier, "tracking_no": s.tracking_no, "shipped_at": _time(s.shipped_at),
                           "delivered_at": _time(s.delivered_at), "lines": [line.id for line in s.lines]}
                          for s in aftersale_queries.shipments(order)]}


# An order's customs state is its least advanced declaration's.
_CUSTOMS_ORDER = ["failed", "pending", "submitted", "succeeded"]


def _refund_body() -> tuple[str, dict[str, Any]]:
    data = params.json_object({"amount_fen", "reason", "lines"})
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise BadParameter(_l("Say why you ask for a refund."), "reason")
    if len(reason.strip()) > REASON_MAX:
        raise BadParameter(_l("Use at most %(max)d characters.", max=REASON_MAX), "reason")
    asked: dict[str, Any] = {}
    lines = data.get("lines")
    if lines is not None:
        if not isinstance(lines, list) or not lines or len(lines) > 50:
            raise BadParameter(_l("Send lines as a list of the order's line ids."), "lines")
        asked["line_ids"] = [params.whole(v, f"lines[{i}]", 1, numbers.MAX_INT) for i, v in enumerate(lines)]
    if data.get("amount_fen") is not None:
        if lines is not None:
            raise BadParameter(_l("Ask for lines or for an amount, not both."), "amount_fen")
        asked["amount_fen"] = params.whole(data["amount_fen"], "amount_fen", 1, numbers.MAX_MINOR)
    return reason.strip(), asked


@bp.post("/orders/<int:order_id>/refunds")
@authenticated
def create_refund(order_id: int):
    """201 with the refund, "requested": the whole order (no amount, no lines), lines, or an amount."""
    company = buying_company_id()
    reason, asked = _refund_body()
    order = services.get(order_id, company, lock=True)
    refund = aftersale.request_refund(order, reason=reason, requested_by_id=current_user.id, **asked)
    return jsonify(refund_json(refund, order)), 201


def _found(refund_id: int, *, lock: bool = False) -> tuple[Order, Refund]:
    """The refund and its order, for the desk's roles any; for a buyer, their company's only."""
    staff = has_role(current_user, *DECIDERS)
    company = None if staff else getattr(current_user, "company_id", None)
    if not staff and company is None:
        raise NotFound(_l("There is no such refund."), "refund_id")
    return aftersale_queries.refund_and_order(refund_id, company, lock=lock)


@bp.get("/refunds/<int:refund_id>")
@authenticated
def get_refund(refund_id: int):
    order, refund = _found(refund_id)
    return jsonify(refund_json(refund, order))


def _decide(refund_id: int, approve: bool):
    if not has_role(current_user, *DECIDERS):
        raise Forbidden(_l("Only platform operators and finance decide refunds."), "Authorization")
    data = params.json_object({"note"}, required=False)
    note = data.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise BadParameter(_l("A note is text of at most %(max)d characters.", max=500), "note")
    order, refund = _found(refund_id, lock=True)
    refund = aftersale.decide(order, refund.id, approve=approve, actor_id=current_user.id, note=(note or "").strip())
    return jsonify(refund_json(refund, order))


@bp.post("/refunds/<int:refund_id>/approve")
@authenticated
def approve_refund(refund_id: int):
    """200 with the refund, "approved" (sent to WeChat Pay after the commit); 409 once decided."""
    return _decide(refund_id, True)


@bp.post("/refunds/<int:refund_id>/reject")
@authenticated
def reject_refund(refund_id: int):
    """200 with the refund, "rejected"; the note is required (the buyer reads it)."""
    return _decide(refund_id, False)
