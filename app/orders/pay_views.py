"""The payment page: the way to pay follows the browser, and the page watches our own status.

GET …/pay shows the order, what the cross-border rules do to it, and a region that
asks for the prepay (hx-post on load, or a plain button). In WeChat's browser the
payer's openid comes first, from WeChat OAuth. …/status is polled about every second;
once the order is paid it sends the browser to the order page. Nothing the browser
reports (the JS bridge's callback, the return from WeChat's H5 cashier) counts as paid.
"""
from __future__ import annotations

from flask import redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.core import db as unit_of_work
from app.core.auth import current_company_id, role_required
from app.core.errors import DomainError
from app.core.htmx import is_htmx, redirect_htmx, render
from app.core.models import utcnow
from app.core.security import allow_sources, client_ip
from app.orders import notice, paying, services
from app.orders.models import Order, OrderState
from app.orders.views import READERS, bp


def _order(order_id: int) -> Order:
    return services.get(order_id, current_company_id())


def _no_store(response):
    # Our word on the payment changes from one second to the next: never from a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _was_paid(order: Order) -> bool:
    """Paid, and perhaps shipped, completed or refunded since: nothing left to pay."""
    return order.state not in (OrderState.PENDING_PAYMENT, OrderState.CLOSED)


def _to_order(order: Order):
    return redirect(url_for("orders.order", order_id=order.id), 303)


def _needs_openid(way) -> bool:
    return way is paying.JSAPI and not current_user.wechat_openid


def _oauth(order: Order) -> str:
    return url_for("payments.oauth_start", next=url_for("orders.pay", order_id=order.id))


def _pay_page(order: Order, way, prepared: paying.Prepared | None = None, problem: str | None = None,
              status: int = 200):
    bridge = paying.bridge_script() if way is paying.JSAPI else None
    if bridge:
        # The simulator's bridge is a script from its origin that calls back to it.
        origin = paying.origin_of(bridge)
        allow_sources(script=[origin], connect=[origin])
    charge = services.charge_of(order)
    payable = order.state == OrderState.PENDING_PAYMENT and charge.closing_since is None
    return _no_store(render(
        "orders/pay.html", "orders/_prepay.html", status=status, order=order, way=way.value, prepared=prepared,
        problem=problem, payable=payable, bridge=bridge, closing=charge.closing_since is not None,
        seconds_left=max(int((order.expires_at - utcnow()).total_seconds()), 0),
        notice=notice.notice_for(order), locale=str(get_locale() or "zh_CN")))


@bp.get("/orders/<int:order_id>/pay")
@role_required(*READERS)
def pay(order_id: int):
    order = _order(order_id)
    if _was_paid(order):
        return _to_order(order)
    way = paying.trade_type_for(request.user_agent.string)
    if order.state == OrderState.PENDING_PAYMENT and _needs_openid(way):
        return redirect(_oauth(order), 303)
    return _pay_page(order, way)


@bp.post("/orders/<int:order_id>/prepay")
@role_required(*READERS)
def prepay(order_id: int):
    """The QR code, the JSAPI button or the H5 link for this browser (a fragment for htmx)."""
    order = _order(order_id)
    if _was_paid(order):
        return redirect_htmx(url_for("orders.order", order_id=order.id))
    way = paying.trade_type_for(request.user_agent.string)
    if _needs_openid(way):
        return redirect_htmx(_oauth(order))
    try:
        prepared = paying.prepare(order, way, client_ip=client_ip() or "127.0.0.1",
                                  openid=current_user.wechat_openid,
                                  qr_label=_("WeChat Pay QR code for order %(number)s", number=order.number))
    except DomainError as e:
        unit_of_work.refused(e)
        return _pay_page(order, way, problem=str(e.message), status=e.status)
    return _pay_page(order, way, prepared)


@bp.get("/orders/<int:order_id>/status")
@role_required(*READERS)
def status(order_id: int):
    """Our own word on the payment, polled by the payment page; paid: on to the order page."""
    order = _order(order_id)
    if _was_paid(order):
        return redirect_htmx(url_for("orders.order", order_id=order.id))
    if not is_htmx():
        return redirect(url_for("orders.pay", order_id=order.id), 303)
    return _no_store(render("orders/_status.html", order=order,
                            closing=services.charge_of(order).closing_since is not None))


@bp.get("/orders/<int:order_id>/pay/return")
@role_required(*READERS)
def pay_return(order_id: int):
    """Where WeChat's H5 cashier sends the payer back: not known yet until our status says paid."""
    order = _order(order_id)
    if _was_paid(order):
        return _to_order(order)
    return _no_store(render("orders/pay_return.html", order=order,
                            closing=services.charge_of(order).closing_since is not None))
