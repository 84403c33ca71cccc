"""The merchant-facing API at WeChat's own paths: XML in, signed XML out."""
from __future__ import annotations

import logging
import random
import time
from typing import Any, Callable

from flask import Blueprint, Response, current_app, request

from . import bill, customs, orders, refunds
from .engine import Sandbox
from .protocol import (
    DES_SYSTEMERROR,
    MD5,
    MSG_APPID_MCHID,
    MSG_REQUIRE_POST,
    MSG_SIGNERROR,
    MSG_SYSTEMERROR,
    BusinessError,
    ProtocolError,
    check_sign,
    fail_xml,
    nonce,
    parse_xml,
    sign,
    to_xml,
)

bp = Blueprint("wxapi", __name__)
log = logging.getLogger(__name__)

Handler = Callable[[Sandbox, dict[str, str]], dict[str, Any]]


def sandbox() -> Sandbox:
    return current_app.extensions["wechatpay_sandbox"]


def _xml(text: str, status: int = 200) -> Response:
    return Response(text, status=status, mimetype="text/xml", content_type="text/xml; charset=utf-8")


def signed_reply(sb: Sandbox, sign_type: str, fields: dict[str, Any],
                 with_nonce: bool = True) -> Response:
    """A SUCCESS envelope around business fields, signed with the request's sign type.

    Customs replies carry no nonce_str, as their requests carry none.
    """
    reply: dict[str, Any] = {"return_code": "SUCCESS", "return_msg": "OK",
                             "appid": sb.config.appid, "mch_id": sb.config.mch_id,
                             "nonce_str": nonce() if with_nonce else None}
    reply.update({k: v for k, v in fields.items() if v is not None and v != ""})
    reply["sign"] = sign(reply, sb.config.api_key, sign_type)
    return _xml(to_xml(reply))


def read_request(sb: Sandbox, only: frozenset[str] | None = None) -> dict[str, str]:
    """Parse and authenticate a merchant request, or raise ProtocolError.

    ``only`` is the complete field list of a call WeChat signs over its documented
    fields alone (customs): no nonce_str is needed, and any other field, nonce_str
    included, breaks the signature as it does at WeChat.
    """
    if request.method != "POST":
        raise ProtocolError(MSG_REQUIRE_POST)
    fields = parse_xml(request.get_data())
    for name in ("appid", "mch_id") + (("nonce_str",) if only is None else ()) + ("sign",):
        if not fields.get(name):
            raise orders.lack(name)
    if only is not None and not only.issuperset(fields):
        raise ProtocolError(MSG_SIGNERROR)
    if fields["mch_id"] != sb.config.mch_id:
        raise ProtocolError("mch_id参数格式错误")
    if fields["appid"] != sb.config.appid:
        raise ProtocolError(MSG_APPID_MCHID)
    if fields.get("sign_type") not in (None, "", MD5, "HMAC-SHA256"):
        raise ProtocolError("sign_type参数格式错误")
    if not check_sign(fields, sb.config.api_key):
        raise ProtocolError(MSG_SIGNERROR)
    return fields


def _apply_latency(sb: Sandbox) -> float:
    faults = sb.faults()
    if faults.latency_ms > 0:
        time.sleep(faults.latency_ms / 1000.0)
    return faults.error_rate


def _system_error(sb: Sandbox, fields: dict[str, str] | None, with_nonce: bool) -> Response:
    """What WeChat answers when it breaks: signed SYSTEMERROR once the request checked out."""
    log.exception("WeChat Pay simulator failed on %s", request.path)
    if fields is None:
        return _xml(fail_xml(MSG_SYSTEMERROR))
    return signed_reply(sb, fields.get("sign_type") or MD5, {
        "result_code": "FAIL", "err_code": "SYSTEMERROR", "err_code_des": DES_SYSTEMERROR},
        with_nonce)


def endpoint(handler: Handler, only: frozenset[str] | None = None) -> Callable[[], Response]:
    """Wrap a business handler with WeChat's envelope, faults and error replies."""

    def view() -> Response:
        sb = sandbox()
        fields: dict[str, str] | None = None
        try:
            return _dispatch(sb, handler, only)
        except Exception:  # noqa: BLE001 - a merchant gets XML, never an HTML 500
            try:
                fields = read_request(sb, only)
            except Exception:  # noqa: BLE001
                fields = None
            return _system_error(sb, fields, with_nonce=only is None)

    view.__name__ = handler.__name__
    return view


def _dispatch(sb: Sandbox, handler: Handler, only: frozenset[str] | None) -> Response:
    error_rate = _apply_latency(sb)
    try:
        fields = read_request(sb, only)
    except ProtocolError as exc:
        return _xml(fail_xml(exc.message))
    sign_type = fields.get("sign_type") or MD5
    with_nonce = only is None
    if error_rate > 0 and random.random() < error_rate:
        return signed_reply(sb, sign_type, {"result_code": "FAIL", "err_code": "SYSTEMERROR",
                                            "err_code_des": "系统超时"}, with_nonce)
    try:
        result = handler(sb, fields)
    except ProtocolError as exc:
        return _xml(fail_xml(exc.message))
    except BusinessError as exc:
        return signed_reply(sb, sign_type, {"result_code": "FAIL", "err_code": exc.code,
                                            "err_code_des": exc.description}, with_nonce)
    return signed_reply(sb, sign_type, {"result_code": "SUCCESS", **result}, with_nonce)


bp.add_url_rule("/pay/unifiedorder", view_func=endpoint(orders.unified_order),
                methods=["GET", "POST"])
bp.add_url_rule("/pay/orderquery", view_func=endpoint(orders.order_query),
                methods=["GET", "POST"])
bp.add_url_rule("/pay/closeorder", view_func=endpoint(orders.close_order),
                methods=["GET", "POST"])
bp.add_url_rule("/secapi/pay/refund", view_func=endpoint(refunds.apply_refund),
                methods=["GET", "POST"])
bp.add_url_rule("/pay/refundquery", view_func=endpoint(refunds.refund_query),
                methods=["GET", "POST"])
bp.add_url_rule("/cgi-bin/mch/customs/customdeclareorder",
                view_func=endpoint(customs.declare, only=customs.DECLARE_FIELDS),
                methods=["GET", "POST"])
bp.add_url_rule("/cgi-bin/mch/customs/customdeclarequery",
                view_func=endpoint(customs.query, only=customs.QUERY_FIELDS),
                methods=["GET", "POST"])


def _bill_fail(message: str, error_code: str) -> Response:
    return _xml(to_xml({"return_code": "FAIL", "return_msg": message, "error_code": error_code}))


@bp.route("/pay/downloadbill", methods=["GET", "POST"])
def download_bill() -> Response:
    """The bill as text; failures are unsigned XML with WeChat's error_code."""
    sb = sandbox()
    try:
        return _bill(sb)
    except Exception:  # noqa: BLE001 - a merchant gets XML, never an HTML 500
        log.exception("WeChat Pay simulator failed on %s", request.path)
        return _bill_fail(MSG_SYSTEMERROR, "20100")


def _bill(sb: Sandbox) -> Response:
    error_rate = _apply_latency(sb)
    try:
        fields = read_request(sb)
    except ProtocolError as exc:
        return _xml(fail_xml(exc.message))
    if error_rate > 0 and random.random() < error_rate:
        return _bill_fail("System Error", "20100")
    if not fields.get("bill_date"):
        return _xml(fail_xml(f"{orders.MSG_LACK_PARAMS} bill_date"))
    try:
        text = bill.render_bill(sb, fields["bill_date"], fields.get("bill_type") or "ALL")
    except bill.BillError as exc:
        return _bill_fail(exc.message, exc.error_code)
    return Response(text, mimetype="text/plain", content_type="text/plain; charset=utf-8")
