"""The payment gateway boundary: a Protocol, dataclasses in and out, named errors.

Services talk to `PaymentGateway` only; `app.payments.wechatpay` implements it
over WeChat Pay API v2 (the real service or the local simulator). Money is
always an integer count of fen; times are aware datetimes in Beijing time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Any, Mapping, NamedTuple, Protocol, Sequence

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


# -- errors --------------------------------------------------------------------------

class GatewayError(Exception):
    """Anything that went wrong talking to the payment provider."""

    def __init__(self, message: str = "", code: str | None = None) -> None:
        super().__init__(message or code or self.__class__.__name__)
        self.code = code
        self.message = message


class GatewayUnavailable(GatewayError):
    """Try again later: network failure, timeout, 5xx, SYSTEMERROR and the like."""


class GatewayRejected(GatewayError):
    """The provider refused the request; ``code`` is its own (e.g. ORDERPAID)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message, code)


class OrderNotFound(GatewayRejected):
    """ORDERNOTEXIST / REFUNDNOTEXIST: the provider has no such order or refund."""


class OrderAlreadyPaid(GatewayRejected):
    """ORDERPAID: the order is paid; a close or a second prepay cannot happen."""


class OrderAlreadyClosed(GatewayRejected):
    """ORDERCLOSED: the order was closed and cannot be paid or reopened."""


class DuplicateOrderNumber(GatewayRejected):
    """INVALID_REQUEST / OUT_TRADE_NO_USED: the number was used with other parameters."""


class RefundRejected(GatewayRejected):
    """NOTENOUGH, PARAM_ERROR, TRADE_OVERDUE, …: the refund was not accepted."""


class NoBill(GatewayRejected):
    """No bill for that day (``No Bill Exist``, error_code 20002) or not ready yet."""


class OAuthRejected(GatewayRejected):
    """WeChat OAuth refused the code; ``code`` is its errcode as text (40029 unknown or
    expired code, 40163 used code, 40125 wrong secret, …)."""


class OAuthCodeUsed(OAuthRejected):
    """40163: the code was exchanged before, often by an earlier load of the same redirect."""


class BadSignature(GatewayError):
    """A reply or callback whose signature (or encryption) does not check out."""


class BadReply(GatewayError):
    """A reply that is not what the protocol promises (not XML, missing fields, wrong merchant)."""


class GatewayMisconfigured(GatewayError):
    """A setting the call needs is missing, such as the client certificate for refunds."""


# -- values ---------------------------------------------------------------------------

class TradeType(str, Enum):
    NATIVE = "NATIVE"   # QR code in a desktop browser
    JSAPI = "JSAPI"     # inside WeChat, needs the payer's openid
    MWEB = "MWEB"       # H5 in a phone browser outside WeChat


class TradeState(str, Enum):
    SUCCESS = "SUCCESS"
    REFUND = "REFUND"
    NOTPAY = "NOTPAY"
    CLOSED = "CLOSED"
    REVOKED = "REVOKED"
    USERPAYING = "USERPAYING"
    PAYERROR = "PAYERROR"


class RefundState(str, Enum):
    PROCESSING = "PROCESSING"
    SUCCESS = "SUCCESS"
    CHANGE = "CHANGE"
    REFUNDCLOSE = "REFUNDCLOSE"


class BillType(str, Enum):
    ALL = "ALL"
    SUCCESS = "SUCCESS"
    REFUND = "REFUND"


@dataclass(frozen=True)
class PrepayRequest:
    """What we ask WeChat to prepare a payment for."""

    out_trade_no: str
    body: str
    total_fee: int
    trade_type: TradeType
    client_ip: str
    openid: str | None = None          # JSAPI
    product_id: str | None = None      # NATIVE
    scene_info: Mapping[str, Any] | None = None  # MWEB: {"h5_info": {...}}
    attach: str | None = None
    expires_at: datetime | None = None
    notify_url: str | None = None      # defaults to the gateway's


@dataclass(frozen=True)
class Prepay:
    out_trade_no: str
    trade_type: TradeType
    prepay_id: str
    code_url: str | None = None
    mweb_url: str | None = None


@dataclass(frozen=True)
class OrderStatus:
    out_trade_no: str
    trade_state: TradeState
    total_fee: int | None
    trade_state_desc: str = ""
    transaction_id: str | None = None
    cash_fee: int | None = None
    fee_type: str = "CNY"
    bank_type: str | None = None
    openid: str | None = None
    trade_type: str | None = None
    attach: str | None = None
    paid_at: datetime | None = None
    coupon_fee: int = 0                      # paid with WeChat coupons, within total_fee
    settlement_total_fee: int | None = None  # total_fee less non-cash coupons, what settles

    @property
    def is_paid(self) -> bool:
        """True once money moved, including orders later (partly) refunded."""
        return self.trade_state in (TradeState.SUCCESS, TradeState.REFUND)


@dataclass(frozen=True)
class RefundRequest:
    out_refund_no: str
    total_fee: int
    refund_fee: int
    out_trade_no: str | None = None
    transaction_id: str | None = None
    refund_desc: str | None = None
    notify_url: str | None = None


@dataclass(frozen=True)
class RefundAccepted:
    """The refund was accepted (not yet done: it is PROCESSING)."""

    out_refund_no: str
    refund_id: str
    out_trade_no: str
    transaction_id: str
    refund_fee: int
    total_fee: int


@dataclass(frozen=True)
class RefundRecord:
    out_refund_no: str
    refund_id: str
    refund_fee: int
    status: RefundState
    succeeded_at: datetime | None = None
    recv_account: str | None = None


@dataclass(frozen=True)
class RefundQueryResult:
    out_trade_no: str
    transaction_id: str
    total_fee: int
    refunds: Sequence[RefundRecord]
    # The order's refunds in all; by order number WeChat returns ten at a time,
    # so more than len(refunds) means asking again with offset=len(…) so far.
    total_refund_count: int | None = None


class BillRow(NamedTuple):
    """One detail line of a WeChat bill; refund fields are None on payment lines.

    Immutable like the dataclasses here, but a named tuple: a day's bill can hold a
    hundred thousand rows, and a frozen dataclass of this width spends several
    microseconds per row in object.__setattr__ alone, more than reading the row.
    """

    traded_at: datetime
    appid: str
    mch_id: str
    transaction_id: str
    out_trade_no: str
    openid: str
    trade_type: str
    trade_state: str
    bank_type: str
    fee_type: str
    body: str
    attach: str
    rate: str
    settlement_fee: int
    fee_1e5_yuan: int           # the handling fee in 0.00001 yuan, as printed
    total_fee: int
    refund_id: str | None = None
    out_refund_no: str | None = None
    refund_fee: int | None = None
    refund_status: str | None = None
    refund_applied_at: datetime | None = None
    refund_succeeded_at: datetime | None = None


@dataclass(frozen=True)
class BillSummary:
    count: int
    settlement_total: int
    refund_total: int | None
    fee_total_1e5_yuan: int
    order_total: int
    requested_refund_total: int | None


@dataclass(frozen=True)
class Bill:
    bill_date: date
    bill_type: BillType
    rows: Sequence[BillRow]
    summary: BillSummary
    text: str = field(repr=False, default="")


@dataclass(frozen=True)
class PaymentNotice:
    """A payment notify whose signature has been checked; amounts not yet compared."""

    appid: str
    mch_id: str
    out_trade_no: str
    transaction_id: str
    result_code: str
    total_fee: int
    cash_fee: int
    fee_type: str
    openid: str
    trade_type: str
    bank_type: str
    attach: str | None
    paid_at: datetime | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    coupon_fee: int = 0
    settlement_total_fee: int | None = None


@dataclass(frozen=True)
class RefundNotice:
    """A refund notify, decrypted with the API key (which is its authentication)."""

    out_trade_no: str
    transaction_id: str
    out_refund_no: str
    refund_id: str
    total_fee: int
    refund_fee: int
    settlement_refund_fee: int
    status: RefundState
    succeeded_at: datetime | None
    recv_account: str | None
    refund_account: str | None
    request_source: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class JsapiParams:
    """The object handed to WeixinJSBridge.invoke('getBrandWCPayRequest', …)."""

    appId: str  # noqa: N815 - WeChat's own key names
    timeStamp: str  # noqa: N815
    nonceStr: str  # noqa: N815
    package: str
    signType: str  # noqa: N815
    paySign: str  # noqa: N815

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class OAuthIdentity:
    openid: str
    scope: str
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class CustomsRequest:
    """A declaration to customs; a MODIFY may change only mch_customs_no, duty and fees."""

    out_trade_no: str
    transaction_id: str
    customs: str
    mch_customs_no: str
    sub_order_no: str | None = None
    fee_type: str | None = None        # "CNY" for split orders
    order_fee: int | None = None       # product_fee + transport_fee
    product_fee: int | None = None
    transport_fee: int | None = None
    duty: int | None = None
    cert_type: str | None = None       # "IDCARD"
    cert_id: str | None = None
    name: str | None = None
    action_type: str = "ADD"           # or "MODIFY"


@dataclass(frozen=True)
class CustomsDeclaration:
    out_trade_no: str
    transaction_id: str
    customs: str | None
    state: str                          # UNDECLARED SUBMITTED PROCESSING SUCCESS FAIL EXCEPT
    cert_check_result: str | None       # UNCHECKED SAME DIFFERENT
    sub_order_no: str | None = None
    sub_order_id: str | None = None
    mch_customs_no: str | None = None
    fee_type: str | None = None
    order_fee: int | None = None
    product_fee: int | None = None
    transport_fee: int | None = None
    duty: int | None = None
    explanation: str | None = None
    modified_at: datetime | None = None


# -- the protocol ---------------------------------------------------------------------

class PaymentGateway(Protocol):
    """What the portal needs from a payment provider; each call may raise GatewayError."""

    def prepay(self, request: PrepayRequest) -> Prepay:
        """Prepare a payment: a QR code_url, a JSAPI prepay_id or an H5 mweb_url."""

    def query_order(self, *, out_trade_no: str | None = None,
                    transaction_id: str | None = None) -> OrderStatus:
        """The provider's view of one order; the only proof of payment besides a notify."""

    def close_order(self, out_trade_no: str) -> None:
        """Close an unpaid order so it can no longer be paid."""

    def refund(self, request: RefundRequest) -> RefundAccepted:
        """Ask for a refund; acceptance is not completion (see query_refunds)."""

    def query_refunds(self, *, refund_id: str | None = None, out_refund_no: str | None = None,
                      transaction_id: str | None = None, out_trade_no: str | None = None,
                      offset: int = 0) -> RefundQueryResult:
        """The refunds of an order (ten from ``offset``), or one refund, with their states."""

    def download_bill(self, bill_date: date, bill_type: BillType = BillType.ALL) -> Bill:
        """The provider's statement of one Beijing calendar day."""

    def parse_payment_notify(self, body: bytes) -> PaymentNotice:
        """Authenticate and read a payment callback body."""

    def parse_refund_notify(self, body: bytes) -> RefundNotice:
        """Authenticate and read a refund callback body."""

    def notify_reply(self, ok: bool, message: str = "OK") -> bytes:
        """The body to answer a callback with; ok=True stops the provider's retries."""

    def jsapi_params(self, prepay_id: str) -> JsapiParams:
        """Signed parameters for paying a JSAPI prepay inside WeChat."""

    def oauth_url(self, redirect_uri: str, state: str, scope: str = "snsapi_base") -> str:
        """Where to send the browser to learn the payer's openid."""

    def exchange_oauth_code(self, code: str) -> OAuthIdentity:
        """Trade the code OAuth sent back for the payer's openid."""

    def declare_customs(self, request: CustomsRequest) -> CustomsDeclaration:
        """Declare a paid order (or one of its sub-orders) to a customs office."""

    def query_customs(self, *, customs: str, out_trade_no: str | None = None,
                      transaction_id: str | None = None, sub_order_no: str | None = None,
                      sub_order_id: str | None = None) -> list[CustomsDeclaration]:
        """The declarations of an order (or one sub-order) at one customs office."""


def notify_reply_xml(ok: bool, message: str = "OK") -> bytes:
    """The body a merchant answers a notify with: SUCCESS stops WeChat's retries."""
    code = "SUCCESS" if ok else "FAIL"
    safe = message.replace("]]>", "]] >")
    return (f"<xml><return_code><![CDATA[{code}]]></return_code>"
            f"<return_msg><![CDATA[{safe}]]></return_msg></xml>").encode("utf-8")
