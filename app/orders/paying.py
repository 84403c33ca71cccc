"""How the buyer pays an order: the way follows the browser, and the payment page's parts.

A desktop browser gets a QR code (NATIVE) to scan with WeChat; WeChat's own browser
(`MicroMessenger` in its User-Agent) pays in place through the JS bridge (JSAPI, which
needs the payer's openid); any other phone browser goes to WeChat's H5 cashier (MWEB).
What the browser says afterwards is never taken as payment: only our own status,
which WeChat's notify or our polling sets, is.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import segno
from flask import current_app
from markupsafe import Markup

from app import payments
from app.core.security import public_url
from app.orders import services
from app.orders.models import Order

NATIVE, JSAPI, MWEB = payments.TradeType.NATIVE, payments.TradeType.JSAPI, payments.TradeType.MWEB
_PHONE = re.compile(r"Mobile|Android|iPhone|iPad|iPod|HarmonyOS", re.I)


def trade_type_for(user_agent: str | None) -> payments.TradeType:
    """JSAPI inside WeChat, MWEB in other phone browsers, NATIVE (a QR code) elsewhere."""
    agent = user_agent or ""
    if "MicroMessenger" in agent:
        return JSAPI
    return MWEB if _PHONE.search(agent) else NATIVE


def scene_info() -> dict[str, Any]:
    """What WeChat's H5 payment asks of the site it is paid from."""
    return {"h5_info": {"type": "Wap", "wap_url": current_app.config["PUBLIC_BASE_URL"], "wap_name": "Kuajing"}}


@dataclass(frozen=True)
class Prepared:
    """What the payment page shows for one way of paying."""

    trade_type: payments.TradeType
    attempt: payments.Attempt
    qr_svg: Markup | None = None
    scan_url: str | None = None          # the simulator's scan page (development only)
    jsapi: dict[str, str] | None = None
    mweb_url: str | None = None


def prepare(order: Order, trade_type: payments.TradeType, *, client_ip: str, openid: str | None,
            qr_label: str = "") -> Prepared:
    """A prepay of `trade_type` for the order (a still valid one is reused) and what to show.

    Raises DomainError when the order can no longer be paid, PaymentUnavailable when
    WeChat Pay does not answer.
    """
    attempt = payments.prepay(services.charge_of(order), trade_type, client_ip=client_ip,
                              openid=openid if trade_type is JSAPI else None,
                              scene_info=scene_info() if trade_type is MWEB else None)
    if trade_type is JSAPI:
        return Prepared(trade_type, attempt, jsapi=payments.get_gateway().jsapi_params(attempt.prepay_id).as_dict())
    if trade_type is MWEB:
        return_url = public_url("orders.pay_return", order_id=order.id)
        return Prepared(trade_type, attempt, mweb_url=f"{attempt.mweb_url}&redirect_url={quote(return_url, safe='')}")
    simulator = payments.simulator_base()
    return Prepared(trade_type, attempt, qr_svg=qr_svg(attempt.code_url, qr_label),
                    scan_url=f"{simulator}_sandbox/scan?{urlencode({'code_url': attempt.code_url})}" if simulator else None)


def qr_svg(data: str, label: str = "") -> Markup:
    """The QR code as inline SVG, named `label` for screen readers; its size follows the CSS."""
    code = segno.make(data, error="m")
    svg = code.svg_inline(scale=1, border=2, omitsize=True, svgclass="qr-code", lineclass=None, dark="#000", light="#fff")
    return Markup(svg.replace("<svg ", Markup('<svg role="img" aria-label="%s" ') % label, 1))


def bridge_script() -> str | None:
    """The simulator's stand-in for WeixinJSBridge, for JSAPI pages in development only."""
    simulator = payments.simulator_base()
    return f"{simulator}_sandbox/jsbridge.js" if simulator else None


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
