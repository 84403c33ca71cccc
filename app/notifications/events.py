"""Every SMS the portal sends: its category and its text in each language.

The texts must match the templates approved at the provider word for word; the
provider receives the template id and the parameters in `params` order, and we keep
the rendered text for the outbox and for support.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

# Categories a user may switch off; the others (security, account) always go out.
OPTIONAL_CATEGORIES: dict[str, object] = {
    "orders": _l("Orders and deliveries"),
    "payments": _l("Payments, refunds and statements"),
    "helpdesk": _l("Support tickets"),
}
ESSENTIAL_CATEGORIES = frozenset({"security", "account"})

LANGUAGES = ("zh_CN", "en")


# What a secret parameter becomes once its message is sent or failed, and on the outbox page.
MASK = "••••••"


@dataclass(frozen=True)
class SmsEvent:
    name: str
    category: str
    params: tuple[str, ...]
    texts: dict[str, str]  # language -> text with {sign} and {param} placeholders
    # Parameters that open something (a one-time code, an invitation link): kept only
    # until the message is sent or failed, never shown on the outbox page.
    secret: tuple[str, ...] = ()

    @property
    def at_most_once(self) -> bool:
        """One-time codes: when the provider may or may not have sent one (a timeout), we
        do not send it again; the user asks for a new code. Everything else is delivered
        at least once."""
        return "code" in self.secret

    @property
    def essential(self) -> bool:
        return self.category in ESSENTIAL_CATEGORIES


def _event(name: str, category: str, params: tuple[str, ...], zh: str, en: str, *,
           secret: tuple[str, ...] = ()) -> SmsEvent:
    return SmsEvent(name, category, params, {"zh_CN": "【{sign}】" + zh, "en": "[{sign}] " + en}, secret)


EVENTS: dict[str, SmsEvent] = {e.name: e for e in [
    _event("login_code", "security", ("code", "minutes"),
           "您的登录验证码为{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。",
           "Your sign-in code is {code}. It is valid for {minutes} minutes. If you did not ask for it, ignore this message.",
           secret=("code",)),
    _event("phone_verification", "security", ("code", "minutes"),
           "您正在验证手机号，验证码为{code}，{minutes}分钟内有效。请勿泄露给他人。",
           "Your phone verification code is {code}. It is valid for {minutes} minutes. Do not share it.",
           secret=("code",)),
    _event("member_invitation", "account", ("company", "link"),
           "{company}邀请您加入跨境采购平台，请打开链接完成注册：{link}",
           "{company} invites you to the Kuajing purchasing portal. Open this link to join: {link}",
           secret=("link",)),
    _event("order_paid", "orders", ("order_no", "amount"),
           "您的订单{order_no}已支付成功，金额{amount}。我们将尽快安排发货。",
           "Order {order_no} is paid ({amount}). We will arrange shipment shortly."),
    _event("order_shipped", "orders", ("order_no", "carrier", "tracking_no"),
           "您的订单{order_no}已发货，{carrier}运单号{tracking_no}。",
           "Order {order_no} has shipped with {carrier}, tracking number {tracking_no}."),
    _event("refund_failed", "payments", ("order_no", "amount"),
           "订单{order_no}的退款{amount}未能退回原支付账户，客服将尽快与您联系。",
           "The refund of {amount} for order {order_no} could not go back to your payment account. "
           "Our support team will contact you shortly."),
    _event("refund_rejected", "payments", ("order_no", "amount"),
           "订单{order_no}的退款申请{amount}未获批准，请登录平台查看原因。",
           "The refund request of {amount} for order {order_no} was not approved. Sign in to see why."),
    _event("refund_completed", "payments", ("order_no", "amount"),
           "订单{order_no}的退款{amount}已原路退回，请注意查收。",
           "The refund of {amount} for order {order_no} has been sent back to your payment account."),
    _event("ticket_replied", "helpdesk", ("ticket_no",),
           "您的工单{ticket_no}有新的回复，请登录平台查看。",
           "There is a new reply on your ticket {ticket_no}. Sign in to read it."),
    _event("ticket_resolved", "helpdesk", ("ticket_no",),
           "您的工单{ticket_no}已处理完毕。如仍有问题请直接回复，也欢迎登录平台为本次服务评分。",
           "Your ticket {ticket_no} has been resolved. Reply if anything is still wrong, or sign in to rate the answer."),
    _event("ticket_assigned", "helpdesk", ("ticket_no",),
           "工单{ticket_no}已分配给您，请登录客服工作台处理。",
           "Ticket {ticket_no} is assigned to you. Open the helpdesk to handle it."),
    _event("ticket_sla_risk", "helpdesk", ("ticket_no", "due"),
           "工单{ticket_no}将于{due}超出服务时限，请尽快处理。",
           "Ticket {ticket_no} passes its service target at {due}. Please handle it now."),
    _event("statement_ready", "payments", ("period",),
           "您{period}的对账单已生成，请登录平台下载。",
           "Your statement for {period} is ready. Sign in to download it."),
]}


class UnknownEvent(KeyError):
    """notify() was called with an event that has no templates."""


def get(name: str) -> SmsEvent:
    try:
        return EVENTS[name]
    except KeyError:
        raise UnknownEvent(name) from None


def language_for(code: str | None) -> str:
    """The SMS language for a user's language setting: English, or Chinese by default."""
    return "en" if (code or "").lower().startswith("en") else "zh_CN"


def sign_for(phone: str, language: str) -> str:
    """The sign a message carries: the one place that chooses it, for the text we keep and
    for the provider. Numbers in mainland China always go with the approved Chinese sign
    (SMS_SIGN_NAME), whatever the language; elsewhere English texts use SMS_SIGN_NAME_EN."""
    cfg = current_app.config
    if phone.startswith("+86") or language == "zh_CN":
        return cfg["SMS_SIGN_NAME"]
    return cfg["SMS_SIGN_NAME_EN"]


def render(event: SmsEvent, language: str, sign: str, params: dict[str, str]) -> str:
    return event.texts[language].format(sign=sign, **params)


def masked(event: SmsEvent, params: dict[str, str], body: str) -> tuple[dict[str, str], str]:
    """`params` and `body` with every secret parameter replaced by MASK."""
    params = dict(params)
    for name in event.secret:
        value = params.get(name)
        if value and value != MASK:
            body = body.replace(value, MASK)
            params[name] = MASK
    return params, body
