"""The simulator's own pages in Chinese or English.

Chinese is the default because the simulator stands in for WeChat, whose payer
pages are Chinese; ``?lang=en`` (or ``?lang=zh``) switches and a cookie keeps the
choice. A table of strings per language rather than gettext: the simulator shares
nothing with the portal and its few pages need no catalogs.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, g, request

ZH, EN = "zh-CN", "en"
LANGS = (ZH, EN)
COOKIE = "sandbox_lang"
_ALIASES = {"zh": ZH, "zh-cn": ZH, "zh_cn": ZH, "cn": ZH, "en": EN, "en-us": EN, "en-gb": EN}

# Each text as (Chinese, English), side by side so neither can be forgotten.
_TEXTS: dict[str, tuple[str, str]] = {
    "sandbox": ("微信支付沙箱", "WeChat Pay sandbox"),
    "language": ("语言", "Language"),
    "home": ("← 沙箱首页", "← Sandbox home"),
    "merchant": ("商户", "Merchant"),
    "time_scale": ("时间倍率", "time scale"),
    "sandbox_time": ("沙箱时间", "sandbox time"),
    "latency": ("延迟（毫秒）", "latency (ms)"),
    "error_rate": ("错误率", "error rate"),
    "notify": ("通知", "notify"),
    "save_faults": ("保存故障设置", "Save faults"),
    "reset": ("清空沙箱", "Reset sandbox"),
    "reset_confirm": ("清空所有订单、退款、通知和申报？", "Forget every order, refund, notify and declaration?"),
    "orders": ("订单", "Orders"),
    "created": ("创建时间", "Created"),
    "out_trade_no": ("商户订单号", "out_trade_no"),
    "body": ("商品", "Body"),
    "type": ("类型", "Type"),
    "amount": ("金额", "Amount"),
    "state": ("状态", "State"),
    "transaction_id": ("微信订单号", "transaction_id"),
    "expired": ("已过期", "expired"),
    "pay": ("支付", "Pay"),
    "fail": ("支付失败", "Fail"),
    "cancel": ("取消", "Cancel"),
    "scan_page": ("扫码页", "scan page"),
    "no_orders": ("暂无订单。", "No orders yet."),
    "notifies": ("通知", "Notifies"),
    "kind": ("类型", "Kind"),
    "order": ("订单", "Order"),
    "url": ("地址", "URL"),
    "attempts": ("投递记录（商户应答）", "Attempts (merchant replies)"),
    "next": ("下次", "next"),
    "not_acknowledged": ("商户未确认", "not acknowledged"),
    "no_notifies": ("暂无通知。", "No notifies yet."),
    "kind_payment": ("支付", "payment"),
    "kind_refund": ("退款", "refund"),
    "notify_pending": ("待投递", "pending"),
    "notify_acknowledged": ("已确认", "acknowledged"),
    "notify_dropped": ("已丢弃", "dropped"),
    "notify_given_up": ("已放弃", "given up"),
    "refunds": ("退款", "Refunds"),
    "applied": ("申请时间", "Applied"),
    "out_refund_no": ("商户退款单号", "out_refund_no"),
    "refund_id": ("微信退款单号", "refund_id"),
    "no_refunds": ("暂无退款。", "No refunds yet."),
    "declarations": ("海关申报", "Customs declarations"),
    "modified": ("更新时间", "Modified"),
    "sub_order": ("子订单", "Sub-order"),
    "customs": ("海关", "Customs"),
    "mch_customs_no": ("海关备案号", "Customs no."),
    "cert_check": ("身份核验", "Cert check"),
    "no_declarations": ("暂无申报。", "No declarations yet."),
    "payers": ("沙箱用户", "Sandbox payers"),
    "user": ("用户", "User"),
    "name": ("姓名", "Name"),
    "cert_id": ("身份证号", "ID card"),
    "wechat_pay": ("微信支付", "WeChat Pay"),
    "order_not_found": ("订单不存在", "Order not found"),
    "no_order_for": ("没有与此 {key} 对应的订单：", "No order matches this {key}:"),
    "no_order_for_code": ("没有与此付款码对应的订单。", "No order matches this code."),
    "payer": ("付款人", "Payer"),
    "cannot_pay": ("此订单不能支付", "This order cannot be paid"),
    "paid": ("支付成功", "Paid"),
    "payment_failed": ("支付失败", "Payment failed"),
    "cancelled": ("已取消支付", "Cancelled"),
    "cannot_pay_because": ("无法支付：{reason}", "Cannot pay: {reason}"),
    "order_amount": ("{order} · {amount} 元", "{order} · ¥{amount}"),
    "refused_state": ("订单状态为 {state}（{desc}）", "the order is {state} ({desc})"),
    "refused_expired": ("订单已过期", "the order has expired"),
    "refused_payer": ("此订单属于另一位付款人", "this order belongs to another payer"),
    "refused_outcome": ("未知的支付结果 {outcome}", "unknown outcome {outcome}"),
    "msg_cancelled": ("{order}：付款人取消支付，订单仍为 {state}",
        "{order}: the payer cancelled; the order stays {state}"),
    "msg_refund": ("退款 {refund_id}：{status}", "refund {refund_id}: {status}"),
    "msg_refund_not_processing": ("退款 {refund_id}：不在处理中", "refund {refund_id}: not PROCESSING"),
    "msg_faults": ("故障设置已保存", "faults updated"),
    "msg_reset": ("沙箱已清空", "sandbox reset"),
    "authorize": ("授权", "Authorize"),
    "asks_profile": ("申请获得你的公开信息（昵称、头像等）", "asks for your public profile (nickname, avatar)"),
    "wechat_user": ("微信用户", "WeChat user"),
    "allow": ("允许", "Allow"),
    "deny": ("拒绝", "Deny"),
    "oauth_error": ("授权失败", "Authorization error"),
    "bad_appid": ("appid参数错误", "unknown appid (appid参数错误)"),
    "bad_redirect_uri": ("redirect_uri参数错误", "redirect_uri is missing (redirect_uri参数错误)"),
    "bad_response_type": ("response_type参数错误", "response_type must be code (response_type参数错误)"),
    "bad_scope": ("scope参数错误或没有scope权限", "scope is missing or not allowed (scope参数错误或没有scope权限)"),
}
STRINGS: dict[str, dict[str, str]] = {
    lang: {key: pair[n] for key, pair in _TEXTS.items()} for n, lang in enumerate(LANGS)
}


def _known(value: str | None) -> str | None:
    return _ALIASES.get((value or "").strip().lower())


def current() -> str:
    """This request's language: ``?lang=``, else the cookie, else Chinese."""
    if "sandbox_lang" not in g:
        g.sandbox_lang = _known(request.args.get("lang")) or _known(
            request.cookies.get(COOKIE)) or ZH
    return g.sandbox_lang


def t(key: str, /, **params: Any) -> str:
    """The text for ``key`` in this request's language, with ``params`` filled in."""
    return STRINGS[current()][key].format(**params)


def code_label(prefix: str, code: str) -> str:
    """A stored code (a notify's kind or state) in words, or the code itself if it has none."""
    return STRINGS[current()].get(f"{prefix}_{code}", code)


def switch_url(lang: str) -> str:
    """This page in another language; a POST's result page links to the dashboard instead,
    since loading its address again would not show the same thing."""
    if request.method != "GET":
        return "/_sandbox/?" + urlencode({"lang": lang})
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return request.path + "?" + urlencode(args + [("lang", lang)])


def install(app: Flask) -> None:
    """Give templates ``t``, ``code_label``, ``lang`` and ``switch_url``; remember a
    ``?lang=`` choice in a cookie."""

    @app.context_processor
    def _strings() -> dict[str, Any]:
        return {"t": t, "code_label": code_label, "lang": current(), "switch_url": switch_url}

    @app.after_request
    def _remember(resp: Response) -> Response:
        chosen = _known(request.args.get("lang"))
        if chosen and chosen != _known(request.cookies.get(COOKIE)):
            resp.set_cookie(COOKIE, chosen, max_age=365 * 86400, samesite="Lax")
        return resp
