"""Orders: unifiedorder, orderquery, closeorder, and the payer paying.

Functions take the `Sandbox` and a dict of request fields, and return the
business fields of the reply; they raise ProtocolError or BusinessError with
WeChat's codes and texts when WeChat would refuse.
"""
from __future__ import annotations

import json
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from .engine import (
    CLOSE_MIN_AGE_SECONDS,
    DEFAULT_USER,
    MWEB_VALID_SECONDS,
    PREPAY_VALID_SECONDS,
    Sandbox,
)
from .protocol import (
    MSG_LACK_PARAMS,
    BusinessError,
    ProtocolError,
    is_amount,
    new_prepay_id,
    new_transaction_id,
    parse_wx_time,
    wx_time,
)

OUT_TRADE_NO_RE = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")
TRADE_TYPES = ("NATIVE", "JSAPI", "MWEB")
# Fields whose change makes a repeated unifiedorder a different order.
FINGERPRINT_FIELDS = ("body", "detail", "attach", "total_fee", "fee_type", "trade_type",
                      "openid", "product_id", "goods_tag", "limit_pay")

STATE_DESC = {
    "SUCCESS": "支付成功",
    "REFUND": "转入退款",
    "NOTPAY": "订单未支付",
    "CLOSED": "已关闭",
    "REVOKED": "已撤销（付款码支付）",
    "USERPAYING": "用户支付中（付款码支付）",
    "PAYERROR": "支付失败(其他原因，如银行返回失败)",
}
PAYABLE_STATES = ("NOTPAY", "USERPAYING", "PAYERROR")
# WeChat refuses a time_expire less than five minutes away (one for micropay).
# A validity rule about wall-clock time, so not divided by the time scale.
MIN_EXPIRE_SECONDS = 300
MSG_EXPIRE_TOO_SOON = "time_expire时间过短，刷卡至少1分钟，其他5分钟"


def lack(field: str) -> ProtocolError:
    return ProtocolError(f"{MSG_LACK_PARAMS} {field}")


def check_len(fields: dict[str, str], name: str, limit: int) -> None:
    if len(fields.get(name, "").encode("utf-8")) > limit:
        raise ProtocolError(f"{name}参数长度有误")


def parse_fen(value: str, name: str) -> int:
    """A positive integer amount in fen, or WeChat's format error."""
    if not is_amount(value) or int(value) <= 0:
        raise ProtocolError(f"{name}参数格式错误")
    return int(value)


def get_order(sb: Sandbox, out_trade_no: str | None = None,
              transaction_id: str | None = None) -> dict[str, Any] | None:
    """Find an order by transaction_id (which wins, as at WeChat) or out_trade_no."""
    if transaction_id:
        return sb.store.one("SELECT * FROM orders WHERE transaction_id = ?", (transaction_id,))
    if out_trade_no:
        return sb.store.one("SELECT * FROM orders WHERE out_trade_no = ?", (out_trade_no,))
    return None


def find_payable(sb: Sandbox, *, code_url: str | None = None, prepay_id: str | None = None,
                 out_trade_no: str | None = None) -> dict[str, Any] | None:
    """Find an order the way a payer reaches it: QR code, prepay id or order number."""
    if code_url:
        return sb.store.one("SELECT * FROM orders WHERE code_url = ?", (code_url,))
    if prepay_id:
        return sb.store.one("SELECT * FROM orders WHERE prepay_id = ?", (prepay_id,))
    return get_order(sb, out_trade_no=out_trade_no)


def _fingerprint(fields: dict[str, str]) -> str:
    return json.dumps({k: fields.get(k, "") for k in FINGERPRINT_FIELDS}, sort_keys=True)


def _validate(sb: Sandbox, f: dict[str, str]) -> None:
    for name in ("body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url",
                 "trade_type"):
        if not f.get(name):
            raise lack(name)
    if not OUT_TRADE_NO_RE.match(f["out_trade_no"]):
        raise ProtocolError("out_trade_no参数格式错误")
    check_len(f, "body", 127)
    check_len(f, "attach", 127)
    parse_fen(f["total_fee"], "total_fee")
    if f.get("fee_type", "CNY") != "CNY":
        raise ProtocolError("fee_type参数格式错误")
    url = urlsplit(f["notify_url"])
    if url.scheme not in ("http", "https") or not url.netloc or url.query:
        raise ProtocolError("notify_url参数格式错误")
    if f["trade_type"] not in TRADE_TYPES:
        raise ProtocolError("trade_type参数格式错误")
    if f["trade_type"] == "JSAPI":
        if not f.get("openid"):
            raise ProtocolError("JSAPI支付必须传openid")
        if sb.user_by_openid(f["openid"]) is None:
            raise BusinessError("PARAM_ERROR", "appid和openid不匹配")
    if f["trade_type"] == "NATIVE" and not f.get("product_id"):
        raise lack("product_id")
    if f["trade_type"] == "MWEB" and not f.get("scene_info"):
        raise lack("scene_info")
    for name in ("time_start", "time_expire"):
        if f.get(name):
            try:
                parse_wx_time(f[name])
            except ValueError as exc:
                raise ProtocolError(f"{name}参数格式错误") from exc
    if f.get("time_expire") and parse_wx_time(f["time_expire"]) - sb.now() < MIN_EXPIRE_SECONDS:
        raise BusinessError("PARAM_ERROR", MSG_EXPIRE_TOO_SOON)


def _expiry(sb: Sandbox, f: dict[str, str], now: float) -> float:
    """When the prepay stops being payable: the order's own limit, scaled down.

    Without time_expire a prepay lives two hours; an MWEB link never more than
    five minutes.
    """
    window = float(PREPAY_VALID_SECONDS)
    if f.get("time_expire"):
        start = parse_wx_time(f["time_start"]) if f.get("time_start") else now
        window = max(parse_wx_time(f["time_expire"]) - start, 0.0)
    if f.get("trade_type") == "MWEB":
        window = min(window, float(MWEB_VALID_SECONDS))
    return now + sb.scaled(window)


def _links(sb: Sandbox, trade_type: str, prepay_id: str) -> dict[str, str | None]:
    code_url = mweb_url = None
    if trade_type == "NATIVE":
        code_url = "weixin://wxpay/bizpayurl?pr=" + secrets.token_urlsafe(6)[:7]
    if trade_type == "MWEB":
        base = str(sb.config.extra.get("public_url", "")).rstrip("/")
        mweb_url = f"{base}/_sandbox/mweb?prepay_id={prepay_id}&package=" + secrets.token_hex(5)
    return {"code_url": code_url, "mweb_url": mweb_url}


def _prepay_reply(order: dict[str, Any]) -> dict[str, Any]:
    reply: dict[str, Any] = {"trade_type": order["trade_type"], "prepay_id": order["prepay_id"]}
    if order["device_info"]:
        reply["device_info"] = order["device_info"]
    if order["code_url"]:
        reply["code_url"] = order["code_url"]
    if order["mweb_url"]:
        reply["mweb_url"] = order["mweb_url"]
    return reply


def unified_order(sb: Sandbox, f: dict[str, str]) -> dict[str, Any]:
    """Create (or repeat) a prepay order and return prepay_id and code_url/mweb_url."""
    _validate(sb, f)
    now = sb.now()
    fingerprint = _fingerprint(f)
    with sb.store.tx():
        existing = get_order(sb, out_trade_no=f["out_trade_no"])
        if existing is not None:
            if existing["trade_state"] in ("SUCCESS", "REFUND"):
                raise BusinessError("ORDERPAID", "该订单已支付")
            if existing["trade_state"] in ("CLOSED", "REVOKED"):
                raise BusinessError("ORDERCLOSED", "该订单已关闭")
            if existing["fingerprint"] != fingerprint:
                raise BusinessError("INVALID_REQUEST", "201 商户订单号重复")
            if existing["expire_at"] <= now:
                # WeChat hands out a fresh prepay once the old one has lapsed.
                prepay_id = new_prepay_id(now)
                changes = {"prepay_id": prepay_id, "expire_at": _expiry(sb, f, now),
                           **_links(sb, existing["trade_type"], prepay_id)}
                sb.store.update("orders", "out_trade_no", existing["out_trade_no"], changes)
                existing.update(changes)
            return _prepay_reply(existing)
        prepay_id = new_prepay_id(now)
        order = {
            "out_trade_no": f["out_trade_no"], "appid": f["appid"], "mch_id": f["mch_id"],
            "body": f["body"], "detail": f.get("detail"), "attach": f.get("attach"),
            "total_fee": int(f["total_fee"]), "fee_type": f.get("fee_type") or "CNY",
            "trade_type": f["trade_type"], "openid": f.get("openid") or None,
            "product_id": f.get("product_id"), "scene_info": f.get("scene_info"),
            "notify_url": f["notify_url"], "spbill_create_ip": f["spbill_create_ip"],
            "device_info": f.get("device_info"),
            "sign_type": f.get("sign_type") or "MD5", "fingerprint": fingerprint,
            "prepay_id": prepay_id, **_links(sb, f["trade_type"], prepay_id),
            "trade_state": "NOTPAY", "trade_state_desc": STATE_DESC["NOTPAY"],
            "created_at": now, "expire_at": _expiry(sb, f, now),
        }
        sb.store.insert("orders", order)
    return _prepay_reply(order)


def order_fields(order: dict[str, Any]) -> dict[str, Any]:
    """The orderquery business fields for an order, as WeChat returns them."""
    reply: dict[str, Any] = {
        "device_info": order["device_info"],
        "out_trade_no": order["out_trade_no"],
        "trade_state": order["trade_state"],
        "trade_state_desc": order["trade_state_desc"] or STATE_DESC[order["trade_state"]],
        "trade_type": order["trade_type"],
        "total_fee": order["total_fee"],
        "fee_type": order["fee_type"],
        "attach": order["attach"],
    }
    if order["openid"]:
        reply["openid"] = order["openid"]
    if order["transaction_id"]:
        reply.update({
            "is_subscribe": "N",
            "transaction_id": order["transaction_id"],
            "bank_type": order["bank_type"],
            "cash_fee": order["cash_fee"],
            "cash_fee_type": "CNY",
            "time_end": wx_time(order["paid_at"]),
        })
    return reply


def order_query(sb: Sandbox, f: dict[str, str]) -> dict[str, Any]:
    """orderquery: the order's trade_state and, once paid, its payment details."""
    if not f.get("transaction_id") and not f.get("out_trade_no"):
        raise lack("out_trade_no")
    order = get_order(sb, f.get("out_trade_no"), f.get("transaction_id"))
    if order is None:
        raise BusinessError("ORDERNOTEXIST", "订单不存在")
    return order_fields(order)


def close_order(sb: Sandbox, f: dict[str, str]) -> dict[str, Any]:
    """closeorder: close an unpaid order, refused in its first five (scaled) minutes."""
    if not f.get("out_trade_no"):
        raise lack("out_trade_no")
    now = sb.now()
    with sb.store.tx():
        order = get_order(sb, out_trade_no=f["out_trade_no"])
        if order is None:
            raise BusinessError("ORDERNOTEXIST", "订单不存在")
        if order["trade_state"] in ("SUCCESS", "REFUND"):
            raise BusinessError("ORDERPAID", "订单已支付，不能发起关单")
        if order["trade_state"] in ("CLOSED", "REVOKED"):
            raise BusinessError("ORDERCLOSED", "订单已关闭，无法重复关闭")
        if now - order["created_at"] < sb.scaled(CLOSE_MIN_AGE_SECONDS):
            raise BusinessError("SYSTEMERROR",
                                "订单生成后不能马上调用关单接口，最短调用时间间隔为5分钟")
        sb.store.update("orders", "out_trade_no", order["out_trade_no"], {
            "trade_state": "CLOSED", "trade_state_desc": STATE_DESC["CLOSED"],
            "closed_at": now})
    return {}


class PayRefused(Exception):
    """The payer cannot pay this order (already paid, closed or expired).

    ``reason`` (outcome, state, expired, payer) and ``params`` let a page say it
    in the payer's language; the message itself is for the JSON control API.
    """

    def __init__(self, message: str, reason: str, **params: str) -> None:
        super().__init__(message)
        self.reason, self.params = reason, params


def pay(sb: Sandbox, order: dict[str, Any], outcome: str = "SUCCESS",
        openid: str | None = None, bank_type: str = "OTHERS") -> dict[str, Any]:
    """The payer confirms (or fails) payment; success queues the payment notify.

    Returns the updated order. Raises PayRefused when the order cannot be paid.
    """
    from .notify import queue_payment_notify

    if outcome not in ("SUCCESS", "PAYERROR", "USERPAYING"):
        raise PayRefused(f"unknown outcome {outcome!r}", "outcome", outcome=str(outcome))
    now = sb.now()
    with sb.store.tx():
        order = get_order(sb, out_trade_no=order["out_trade_no"]) or order
        if order["trade_state"] not in PAYABLE_STATES:
            state = order["trade_state"]
            raise PayRefused(f"order is {state} ({STATE_DESC[state]})", "state", state=state,
                             desc=STATE_DESC[state])
        if order["expire_at"] <= now:
            raise PayRefused("order expired (订单已过期)", "expired")
        payer = order["openid"] or openid or sb.openid(DEFAULT_USER.username)
        if order["trade_type"] == "JSAPI" and openid and openid != order["openid"]:
            raise PayRefused("this order belongs to another payer (openid mismatch)", "payer")
        if outcome == "SUCCESS":
            changes = {"trade_state": "SUCCESS", "trade_state_desc": STATE_DESC["SUCCESS"],
                       "transaction_id": new_transaction_id(now), "paid_at": now,
                       "bank_type": bank_type, "cash_fee": order["total_fee"],
                       "openid": payer}
        elif outcome == "PAYERROR":
            changes = {"trade_state": "PAYERROR", "trade_state_desc": STATE_DESC["PAYERROR"]}
        else:
            changes = {"trade_state": "USERPAYING", "trade_state_desc": "需要用户输入支付密码"}
        sb.store.update("orders", "out_trade_no", order["out_trade_no"], changes)
        order = {**order, **changes}
        if outcome == "SUCCESS":
            queue_payment_notify(sb, order, now)
    sb.wake()
    return order
