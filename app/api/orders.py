"""Order endpoints: place (idempotent with Idempotency-Key), list, read, prepay and cancel.

Every order URL is scoped to the caller's company: another company's order is 404,
exactly like one that does not exist.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, jsonify, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import payments
from app.api import params
from app.api.refunds import aftersale_json
from app.api.base import (
    BadParameter,
    authenticated,
    bp,
    buying_company_id,
    company_id,
    cursor_in,
    cursor_out,
)
from app.core.errors import NotFound, RecordedRefusal
from app.core.security import client_ip
from app.orders import aftersale_queries, consignees, queries, services
from app.orders.models import Order, OrderState

STATES = tuple(s.value for s in OrderState)
TRADE_TYPES = tuple(t.value for t in payments.TradeType)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def order_json(order: Order, charge: payments.Charge, after: tuple[list, list] = ([], [])) -> dict[str, Any]:
    """The order object of the API (README, "The order object"); `after` holds the order's
    refunds and customs declarations (aftersale_queries.for_orders)."""
    locale = str(get_locale() or "")
    return {
        "id": order.id, "number": order.number, "out_trade_no": payments.out_trade_no(charge),
        "state": order.state.value, "currency": order.currency, "total_fen": order.total_fen,
        "goods_fen": order.goods_fen, "shipping_fen": order.shipping_fen, "insurance_fen": order.insurance_fen,
        "tax_fen": order.tax_fen, "regime": order.regime, "created_at": _time(order.created_at),
        "expires_at": _time(order.expires_at), "paid_at": _time(order.paid_at), "closed_at": _time(order.closed_at),
        "lines": [{"id": line.id, "offer_id": line.offer_id, "product_id": line.product_id, "product": line.name(locale),
                   "supplier": line.supplier_name, "quantity": line.quantity, "goods_fen": line.goods_fen,
                   "shipping_fen": line.shipping_fen, "insurance_fen": line.insurance_fen, "tax_fen": line.tax_fen,
                   "landed_fen": line.landed_fen} for line in order.lines],
        "payments": [{"transaction_id": p.transaction_id, "total_fee": p.total_fee, "trade_type": p.trade_type,
                      "paid_at": _time(p.paid_at)} for p in charge.payments],
        **aftersale_json(order, *after),
    }


def _one(order: Order) -> dict[str, Any]:
    charges = queries.charges([order])
    return order_json(order, charges[order.id], aftersale_queries.for_orders([order], charges)[order.id])


@bp.post("/orders")
@authenticated
def create_order():
    """201 with the new order; 200 with the same order for a retry under its Idempotency-Key."""
    company = buying_company_id()
    data = params.json_object({"lines", "consignee_id"})
    lines = params.order_lines(data, services.MAX_LINES)
    consignee_id = params.optional_id(data, "consignee_id")
    key = params.idempotency_key()
    consignee = None
    if consignee_id is not None:
        try:
            consignee = consignees.get(consignee_id, current_user.id)
        except NotFound as e:
            raise BadParameter(e.message, "consignee_id") from None
    placed = services.place(current_user._get_current_object(), company, lines, consignee=consignee,
                            idempotency_key=key)
    return jsonify(_one(placed.order)), 201 if placed.created else 200


def _after() -> tuple[datetime, int] | None:
    position = cursor_in("o")
    if position is None:
        return None
    stamp, _, ident = position.rpartition("/")
    try:
        if not (ident.isascii() and ident.isdigit()):
            raise ValueError
        return datetime.fromisoformat(stamp), int(ident)
    except ValueError:
        raise BadParameter(_l("This cursor is not one the API gave: pass next_cursor as it came."), "cursor") from None


@bp.get("/orders")
@authenticated
def list_orders():
    """The company's orders, newest first, optionally in one state; a fixed number of queries a page."""
    company = company_id()
    state = request.args.get("state") or None
    if state is not None and state not in STATES:
        raise BadParameter(_l("Choose one of: %(choices)s.", choices=", ".join(STATES)), "state")
    limit = params.query_int("limit", queries.PAGE_SIZE, 1, queries.MAX_PAGE_SIZE)
    page = queries.page(company, state=OrderState(state) if state else None, after=_after(), limit=limit)
    charges = queries.charges(page.orders)
    after = aftersale_queries.for_orders(page.orders, charges)
    more = f"{page.more[0].isoformat()}/{page.more[1]}" if page.more else None
    return jsonify({"items": [order_json(o, charges[o.id], after[o.id]) for o in page.orders],
                    "next_cursor": cursor_out("o", more)})


@bp.get("/orders/<int:order_id>")
@authenticated
def get_order(order_id: int):
    return jsonify(_one(services.get(order_id, company_id())))


def _scene_info() -> dict[str, Any]:
    return {"h5_info": {"type": "Wap", "wap_url": current_app.config["PUBLIC_BASE_URL"], "wap_name": "Kuajing"}}


@bp.post("/orders/<int:order_id>/prepay")
@authenticated
def prepay(order_id: int):
    """What the payer's device needs to pay: a QR code's code_url, JSAPI's parameters or an H5 link."""
    company = buying_company_id()
    data = params.json_object({"trade_type", "openid"})
    trade_type = payments.TradeType(params.choice(data, "trade_type", TRADE_TYPES))
    openid = params.openid(data)
    if openid is not None and trade_type is not payments.TradeType.JSAPI:
        raise BadParameter(_l("An openid is only for JSAPI payments."), "openid")
    order = services.get(order_id, company)
    if trade_type is payments.TradeType.JSAPI:
        openid = openid or current_user.wechat_openid
        if not openid:
            raise BadParameter(_l("JSAPI needs the payer's openid: send one, or pay once in WeChat "
                                  "so the portal learns it."), "openid")
    # WeChat wants the payer's address (spbill_create_ip); only a request without any gets loopback.
    attempt = payments.prepay(services.charge_of(order), trade_type, client_ip=client_ip() or "127.0.0.1",
                              openid=openid, scene_info=_scene_info() if trade_type is payments.TradeType.MWEB else None)
    body: dict[str, Any] = {"trade_type": trade_type.value, "out_trade_no": attempt.out_trade_no,
                            "expires_at": _time(attempt.prepay_expires_at)}
    if trade_type is payments.TradeType.NATIVE:
        body["code_url"] = attempt.code_url
    elif trade_type is payments.TradeType.JSAPI:
        body["jsapi"] = payments.get_gateway().jsapi_params(attempt.prepay_id).as_dict()
    else:
        body["mweb_url"] = attempt.mweb_url
    return jsonify(body)


@bp.post("/orders/<int:order_id>/cancel")
@authenticated
def cancel(order_id: int):
    """200 with the closed order; 202 while WeChat Pay does not let it close yet (no payment
    is taken meanwhile); 409 when it is paid or closed already."""
    company = buying_company_id()
    params.json_object(set(), required=False)
    order = services.get(order_id, company, lock=True)
    outcome = services.cancel(order, current_user.id)
    if outcome == "paid":
        # WeChat reported a payment while closing: it is recorded (committed), and it wins.
        raise RecordedRefusal(_l("This order was paid before it could be cancelled; the payment stands."),
                              code="already_paid", status=409)
    return jsonify(_one(order)), 202 if outcome == "closing" else 200
