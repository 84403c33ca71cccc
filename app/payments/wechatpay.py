"""The WeChat Pay API v2 adapter: the only module that imports wechatpy.

`WeChatPayGateway` implements `PaymentGateway` with wechatpy's client pointed at
``WECHATPAY_API_BASE`` (WeChat's host in production, the simulator in
development and tests) by overriding ``API_BASE_URL`` — never ``sandbox=True``.
wechatpy does not check reply signatures; this module does, and turns every
failure into the gateway's named exceptions.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping
from urllib.parse import urlsplit
from xml.parsers.expat import ExpatError

import requests
from wechatpy.exceptions import (InvalidSignatureException, WeChatException,
                                 WeChatOAuthException, WeChatPayException)
from wechatpy.oauth import WeChatOAuth
from wechatpy.pay import WeChatPay
from wechatpy.pay.utils import calculate_signature, dict_to_xml

from . import wechat_errors as errors
from . import wechat_replies as replies
from .devcert import ensure_dev_client_cert
from .gateway import (BEIJING, BadReply, BadSignature, Bill, BillType, CustomsDeclaration,
                      CustomsRequest, GatewayError, GatewayMisconfigured, GatewayRejected,
                      GatewayUnavailable, JsapiParams, OAuthCodeUsed, OAuthIdentity,
                      OAuthRejected, OrderStatus, PaymentNotice, Prepay, PrepayRequest,
                      RefundAccepted, RefundNotice, RefundQueryResult, RefundRejected,
                      RefundRequest, TradeType, notify_reply_xml)
from .wechat_bill import parse_bill
from .wechat_input import (ATTACH_MAX_BYTES, BODY_MAX_BYTES, checked_ip, clean_text,
                           customs_declare_fields, customs_query_fields, positive_fen,
                           reject_dtd)


WECHAT_API_BASE = "https://api.mch.weixin.qq.com/"
WECHAT_OAUTH_BASE = "https://open.weixin.qq.com/"
WECHAT_SNS_BASE = "https://api.weixin.qq.com/"
REAL_HOSTS = ("api.mch.weixin.qq.com", "api2.mch.weixin.qq.com")
OAUTH_CODE_USED = "40163"


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


class _OAuth(WeChatOAuth):
    """wechatpy's OAuth client with our bases and a timeout on every request."""

    def __init__(self, app_id: str, secret: str, redirect_uri: str, scope: str, state: str,
                 *, oauth_base: str, sns_base: str, timeout: float) -> None:
        super().__init__(app_id, secret, redirect_uri, scope, state)
        self.OAUTH_BASE_URL = _slash(oauth_base) + "connect/"
        self.API_BASE_URL = _slash(sns_base)
        self._timeout = timeout

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self._timeout)
        return super()._request(method, url_or_endpoint, **kwargs)


class WeChatPayGateway:
    """PaymentGateway over WeChat Pay API v2, through wechatpy."""

    def __init__(self, appid: str, mch_id: str, api_key: str, app_secret: str = "", *,
                 api_base: str = WECHAT_API_BASE, oauth_base: str = WECHAT_OAUTH_BASE,
                 sns_base: str = WECHAT_SNS_BASE, cert_path: str | None = None,
                 key_path: str | None = None, timeout: float = 10.0,
                 notify_url: str | None = None, refund_notify_url: str | None = None) -> None:
        self.appid, self.mch_id, self.app_secret = appid, mch_id, app_secret
        self._api_key = api_key
        self.api_base, self.oauth_base, self.sns_base = _slash(api_base), oauth_base, sns_base
        self.cert_path, self.key_path = cert_path, key_path
        self.timeout = timeout
        self.notify_url, self.refund_notify_url = notify_url, refund_notify_url
        self._client = WeChatPay(appid=appid, api_key=api_key, mch_id=mch_id,
                                 mch_cert=cert_path, mch_key=key_path, timeout=timeout)
        self._client.API_BASE_URL = self.api_base

    # -- plumbing -----------------------------------------------------------------
    def _call(self, func: Callable[..., Any], *args: Any,
              rejected: type[GatewayRejected] = GatewayRejected, **kwargs: Any) -> Any:
        """Run a wechatpy call; map transport and protocol failures to our exceptions."""
        try:
            return func(*args, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise GatewayUnavailable(f"WeChat Pay unreachable: {exc}") from exc
        except requests.RequestException as exc:
            raise GatewayUnavailable(f"WeChat Pay request failed: {exc}") from exc
        except WeChatPayException as exc:
            raise self._translate(exc, rejected) from exc
        except (KeyError, ExpatError, TypeError, ValueError) as exc:
            # ValueError: xmltodict refuses entity declarations ("entities are disabled").
            raise BadReply(f"unexpected reply from WeChat Pay: {exc!r}") from exc

    def _translate(self, exc: WeChatPayException, rejected: type[GatewayRejected]
                   ) -> GatewayError:
        response = getattr(exc, "response", None)
        if exc.return_code is None:  # an HTTP status error raised by wechatpy
            return errors.http_error(getattr(response, "status_code", None))
        if exc.return_code != "SUCCESS":
            return errors.call_failed(exc.return_msg or "", getattr(response, "text", None))
        # A business refusal is signed like any reply: an unsigned or forged one
        # (say an ORDERPAID that would stop us charging) must not pass.
        if response is None:
            return BadReply("WeChat Pay refusal without a reply body")
        self._verify_reply(errors.parse_reply(response.text))
        return errors.business_failed(exc.errcode, exc.errmsg, rejected)

    def _verify_reply(self, data: Any, require_sign: bool = True) -> dict[str, Any]:
        """Check a reply's signature and merchant; wechatpy itself checks neither."""
        if not isinstance(data, dict):
            raise BadReply("WeChat Pay answered with something other than XML")
        sign = data.get("sign")
        if sign or require_sign:
            fields = {k: v for k, v in data.items() if k != "sign"}
            if not sign or sign != calculate_signature(fields, self._api_key):
                raise BadSignature("reply signature does not match our API key")
        if data.get("mch_id") not in (None, self.mch_id) or \
                data.get("appid") not in (None, self.appid):
            raise BadReply("reply is for another merchant")
        return data

    def _signed(self, func: Callable[..., Any], *args: Any,
                rejected: type[GatewayRejected] = GatewayRejected, **kwargs: Any
                ) -> dict[str, Any]:
        return self._verify_reply(self._call(func, *args, rejected=rejected, **kwargs))

    # -- payments ------------------------------------------------------------------
    def prepay(self, request: PrepayRequest) -> Prepay:
        """unifiedorder: a prepay for NATIVE (code_url), JSAPI (prepay_id) or MWEB (mweb_url).

        Raises OrderAlreadyPaid, OrderAlreadyClosed, DuplicateOrderNumber,
        GatewayRejected, GatewayUnavailable, BadSignature.
        """
        trade_type = TradeType(request.trade_type)
        client_ip = checked_ip(request.client_ip)
        if trade_type is TradeType.JSAPI and not request.openid:
            raise ValueError("JSAPI needs the payer's openid")
        notify_url = request.notify_url or self.notify_url
        if not notify_url:
            raise GatewayMisconfigured("WECHATPAY_NOTIFY_URL is not set")
        body = clean_text(request.body, BODY_MAX_BYTES)
        if not body:
            raise ValueError("body is empty once control characters are removed")
        attach = clean_text(request.attach, ATTACH_MAX_BYTES) if request.attach else None
        expires = None
        if request.expires_at is not None:
            if request.expires_at.utcoffset() is None:
                # A naive time would be read as this server's local time, not Beijing's.
                raise ValueError("expires_at must be an aware datetime (with a time zone)")
            expires = request.expires_at.astimezone(BEIJING)
        data = self._signed(
            self._client.order.create, trade_type=trade_type.value,
            body=body,
            total_fee=positive_fen(request.total_fee, "total_fee"), notify_url=notify_url,
            client_ip=client_ip, user_id=request.openid,
            out_trade_no=request.out_trade_no, attach=attach or None,
            time_expire=expires, product_id=request.product_id or (
                request.out_trade_no if trade_type is TradeType.NATIVE else None),
            scene_info=dict(request.scene_info) if request.scene_info else None)
        return Prepay(out_trade_no=request.out_trade_no, trade_type=trade_type,
                      prepay_id=replies.need(data, "prepay_id"),
                      code_url=replies.opt(data, "code_url"),
                      mweb_url=replies.opt(data, "mweb_url"))

    def query_order(self, *, out_trade_no: str | None = None,
                    transaction_id: str | None = None) -> OrderStatus:
        """orderquery by transaction_id (preferred) or out_trade_no; raises OrderNotFound."""
        if not (out_trade_no or transaction_id):
            raise ValueError("give out_trade_no or transaction_id")
        return replies.order_status(self._signed(self._client.order.query,
                                                 transaction_id=transaction_id,
                                                 out_trade_no=out_trade_no))

    def close_order(self, out_trade_no: str) -> None:
        """closeorder; raises OrderAlreadyPaid, OrderAlreadyClosed, GatewayUnavailable.

        WeChat refuses to close an order in its first five minutes with
        SYSTEMERROR, which surfaces as GatewayUnavailable: try again later.
        """
        self._signed(self._client.order.close, out_trade_no)

    def refund(self, request: RefundRequest) -> RefundAccepted:
        """secapi/pay/refund with the client certificate; accepted means PROCESSING.

        Raises GatewayMisconfigured without certificate files, OrderNotFound,
        RefundRejected (NOTENOUGH, PARAM_ERROR, …), GatewayUnavailable.
        """
        if not (self.cert_path and self.key_path):
            raise GatewayMisconfigured("refunds need WECHATPAY_CERT_PATH and WECHATPAY_KEY_PATH")
        if not (request.out_trade_no or request.transaction_id):
            raise ValueError("give out_trade_no or transaction_id")
        data = self._signed(
            self._client.refund.apply, rejected=RefundRejected,
            total_fee=positive_fen(request.total_fee, "total_fee"),
            refund_fee=positive_fen(request.refund_fee, "refund_fee"),
            out_refund_no=request.out_refund_no, transaction_id=request.transaction_id,
            out_trade_no=request.out_trade_no, refund_desc=request.refund_desc,
            notify_url=request.notify_url or self.refund_notify_url)
        return RefundAccepted(
            out_refund_no=replies.need(data, "out_refund_no"),
            refund_id=replies.need(data, "refund_id"),
            out_trade_no=replies.need(data, "out_trade_no"),
            transaction_id=replies.need(data, "transaction_id"),
            refund_fee=replies.need_fen(data, "refund_fee"),
            total_fee=replies.need_fen(data, "total_fee"))

    def query_refunds(self, *, refund_id: str | None = None, out_refund_no: str | None = None,
                      transaction_id: str | None = None, out_trade_no: str | None = None,
                      offset: int = 0) -> RefundQueryResult:
        """refundquery; one refund when asked by its id, else ten of the order's from offset.

        WeChat returns at most ten refunds per call by order number; when
        ``total_refund_count`` is larger, ask again with ``offset`` (wechatpy's
        wrapper has no offset, so this goes through its signed ``post``).
        """
        if not (refund_id or out_refund_no or transaction_id or out_trade_no):
            raise ValueError("give a refund or order number")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ValueError(f"offset must be a whole number ≥ 0, got {offset!r}")
        return replies.refund_query(self._signed(self._client.post, "pay/refundquery", data={
            "appid": self.appid, "refund_id": refund_id, "out_refund_no": out_refund_no,
            "transaction_id": transaction_id, "out_trade_no": out_trade_no,
            # As a string and only when set: wechatpy leaves falsy values out of the signature.
            "offset": str(offset) if offset else None}))

    def download_bill(self, bill_date: date, bill_type: BillType = BillType.ALL) -> Bill:
        """downloadbill for a Beijing calendar day; raises NoBill when there is none (yet)."""
        bill_type = BillType(bill_type)
        text = self._call(self._client.tools.download_bill, bill_date, bill_type.value)
        if not isinstance(text, str):
            raise BadReply("downloadbill answered XML without a bill")
        return parse_bill(text, bill_date, bill_type)

    # -- callbacks -----------------------------------------------------------------
    def parse_payment_notify(self, body: bytes) -> PaymentNotice:
        """Check a payment notify's MD5 signature and merchant; amounts are the caller's to compare.

        Raises BadSignature for a bad or missing signature, BadReply for a notify
        addressed to another merchant or lacking fields.
        """
        reject_dtd(body)
        try:
            data = self._client.parse_payment_result(body)
        except InvalidSignatureException as exc:
            raise BadSignature("payment notify signature does not match") from exc
        except ExpatError as exc:
            raise BadSignature("payment notify is not XML") from exc
        except (ValueError, TypeError) as exc:
            raise BadReply("payment notify has malformed fields") from exc
        if data.get("appid") != self.appid or data.get("mch_id") != self.mch_id:
            raise BadReply("payment notify is for another merchant")
        return replies.payment_notice(data)

    def parse_refund_notify(self, body: bytes) -> RefundNotice:
        """Decrypt a refund notify's req_info with the API key (its only authentication).

        Raises BadSignature when it does not decrypt, BadReply for another merchant.
        """
        reject_dtd(body)
        try:
            data = self._client.parse_refund_notify_result(body)
        except (ExpatError, KeyError) as exc:
            raise BadReply("refund notify has no req_info") from exc
        except WeChatException as exc:
            raise BadReply(f"refund notify is for another merchant ({exc.errmsg})") from exc
        except Exception as exc:  # noqa: BLE001 - bad base64, padding, UTF-8, XML after decrypting
            raise BadSignature("refund notify does not decrypt with our API key") from exc
        return replies.refund_notice(dict(data))

    def notify_reply(self, ok: bool, message: str = "OK") -> bytes:
        """The XML to answer a notify with; only ok=True stops WeChat's retries."""
        return notify_reply_xml(ok, message)

    # -- in-WeChat payment ----------------------------------------------------------------
    def jsapi_params(self, prepay_id: str) -> JsapiParams:
        """The signed object for WeixinJSBridge.invoke('getBrandWCPayRequest', …)."""
        data = self._client.jsapi.get_jsapi_params(prepay_id)
        return JsapiParams(appId=data["appId"], timeStamp=str(data["timeStamp"]),
                           nonceStr=data["nonceStr"], package=data["package"],
                           signType=data["signType"], paySign=data["paySign"])

    def _oauth(self, redirect_uri: str = "", scope: str = "snsapi_base",
               state: str = "") -> _OAuth:
        return _OAuth(self.appid, self.app_secret, redirect_uri, scope, state,
                      oauth_base=self.oauth_base, sns_base=self.sns_base, timeout=self.timeout)

    def oauth_url(self, redirect_uri: str, state: str, scope: str = "snsapi_base") -> str:
        """Where to send the browser to learn the payer's openid (snsapi_base is silent)."""
        if scope not in ("snsapi_base", "snsapi_userinfo"):
            raise ValueError(f"unknown OAuth scope {scope!r}")
        return self._oauth(redirect_uri, scope, state).authorize_url

    def exchange_oauth_code(self, code: str) -> OAuthIdentity:
        """Trade the OAuth code for the openid.

        Raises OAuthCodeUsed (40163) for a code exchanged before, which WeChat's
        in-app browser causes by loading a redirect twice, and OAuthRejected with
        the errcode as ``code`` otherwise (40029 for an unknown or expired code).

        Transport failures of any kind are GatewayUnavailable; an answer that is
        not the JSON object WeChat documents is BadReply.
        """
        try:
            data = self._oauth().fetch_access_token(code)
            return OAuthIdentity(openid=str(data["openid"]), scope=str(data.get("scope", "")),
                                 access_token=str(data["access_token"]),
                                 refresh_token=str(data.get("refresh_token", "")),
                                 expires_in=int(data.get("expires_in", 0)))
        except WeChatOAuthException as exc:
            if exc.errcode is None:
                raise GatewayUnavailable("WeChat OAuth HTTP error") from exc
            rejected = OAuthCodeUsed if str(exc.errcode) == OAUTH_CODE_USED else OAuthRejected
            raise rejected(str(exc.errcode), str(exc.errmsg)) from exc
        except requests.JSONDecodeError as exc:
            raise BadReply("WeChat OAuth answered something other than JSON") from exc
        except requests.RequestException as exc:
            raise GatewayUnavailable(f"WeChat OAuth unreachable: {exc}") from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise BadReply("WeChat OAuth answered something unexpected") from exc

    # -- customs -----------------------------------------------------------------------
    def _post_without_nonce(self, path: str, fields: Mapping[str, str]) -> dict[str, Any]:
        """Sign and send a call that must carry no nonce_str, and check the reply.

        WeChat checks a customs call's signature over its documented fields only,
        so the nonce_str wechatpy's post adds to a dict would fail it. A body that
        is already bytes passes through wechatpy untouched, so the call keeps the
        client's base URL, timeout, session and reply handling.
        """
        data = {"appid": self.appid, "mch_id": self.mch_id, **fields}
        body = dict_to_xml(data, calculate_signature(data, self._api_key)).encode("utf-8")
        return self._signed(self._client.post, path, data=body)

    def declare_customs(self, request: CustomsRequest) -> CustomsDeclaration:
        """customdeclareorder: declare a paid order or sub-order (ADD), or replace it (MODIFY).

        A MODIFY voids the earlier declaration and may change only the customs
        number, duty and fees. Raises ValueError for a request that cannot be sent
        (see `customs_declare_fields`), OrderNotFound, GatewayRejected
        (PARAM_ERROR, LACK_PARAMS, …), GatewayUnavailable, BadSignature.
        """
        data = self._post_without_nonce("cgi-bin/mch/customs/customdeclareorder",
                                        customs_declare_fields(request))
        return replies.declaration(data, customs=request.customs)

    def query_customs(self, *, customs: str, out_trade_no: str | None = None,
                      transaction_id: str | None = None, sub_order_no: str | None = None,
                      sub_order_id: str | None = None) -> list[CustomsDeclaration]:
        """customdeclarequery: the declarations of an order (or one sub-order) at one office.

        Raises ValueError without an order or sub-order key, OrderNotFound when
        nothing was declared, GatewayUnavailable, BadSignature.
        """
        data = self._post_without_nonce("cgi-bin/mch/customs/customdeclarequery",
                                        customs_query_fields(
                                            customs=customs, out_trade_no=out_trade_no,
                                            transaction_id=transaction_id,
                                            sub_order_no=sub_order_no, sub_order_id=sub_order_id))
        count = replies.need_fen(data, "count")
        return [replies.declaration(data, f"_{n}", out_trade_no=replies.need(data, "out_trade_no"))
                for n in range(count)]


def gateway_from_config(config: Mapping[str, Any]) -> WeChatPayGateway:
    """Build the gateway from WECHATPAY_* settings (a Flask config or any mapping).

    Against anything but WeChat's own hosts (the simulator) a missing client
    certificate is replaced by a throwaway self-signed pair under the instance
    folder, because wechatpy needs files even over HTTP, and the OAuth bases
    default to the API base. Raises GatewayMisconfigured for missing settings.
    """
    def get(name: str, default: Any = None) -> Any:
        value = config.get(name)
        return default if value in (None, "") else value

    for name in ("WECHATPAY_APPID", "WECHATPAY_MCH_ID", "WECHATPAY_API_KEY"):
        if not get(name):
            raise GatewayMisconfigured(f"{name} is not set")
    api_base = str(get("WECHATPAY_API_BASE", WECHAT_API_BASE))
    simulated = urlsplit(api_base).hostname not in REAL_HOSTS
    # The simulator serves OAuth too: unless told otherwise, send OAuth where the API goes.
    oauth_base = str(get("WECHATPAY_OAUTH_BASE", api_base if simulated else WECHAT_OAUTH_BASE))
    sns_base = str(get("WECHATPAY_SNS_BASE", api_base if simulated else WECHAT_SNS_BASE))
    cert_path, key_path = get("WECHATPAY_CERT_PATH"), get("WECHATPAY_KEY_PATH")
    if not (cert_path and key_path) and simulated:
        from app.config import INSTANCE_DIR
        folder = Path(get("INSTANCE_PATH", INSTANCE_DIR)) / "wechatpay-dev-cert"
        cert_path, key_path = ensure_dev_client_cert(folder)
    for path in (cert_path, key_path):
        if path and not Path(path).is_file():
            raise GatewayMisconfigured(f"certificate file {path} does not exist")
    return WeChatPayGateway(
        appid=str(get("WECHATPAY_APPID")), mch_id=str(get("WECHATPAY_MCH_ID")),
        api_key=str(get("WECHATPAY_API_KEY")), app_secret=str(get("WECHATPAY_APP_SECRET", "")),
        api_base=api_base, oauth_base=oauth_base, sns_base=sns_base,
        cert_path=cert_path, key_path=key_path,
        timeout=float(get("WECHATPAY_TIMEOUT", 10.0)),
        notify_url=get("WECHATPAY_NOTIFY_URL"),
        refund_notify_url=get("WECHATPAY_REFUND_NOTIFY_URL"))


if TYPE_CHECKING:  # the type checker proves the adapter fits the protocol
    from .gateway import PaymentGateway

    def _fits(gateway: WeChatPayGateway) -> PaymentGateway:
        return gateway
