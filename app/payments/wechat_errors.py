"""Which gateway exception a WeChat Pay v2 failure becomes.

Pure mapping from what WeChat answered (HTTP status, return_msg, err_code,
the bill's error_code) to the exception tree in `gateway`, kept apart from
the wechatpy calls so both stay short.
"""
from __future__ import annotations

from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict

from .gateway import (BadReply, DuplicateOrderNumber, GatewayError, GatewayRejected,
                      GatewayUnavailable, NoBill, OrderAlreadyClosed, OrderAlreadyPaid,
                      OrderNotFound)

# return_msg → a code, for FAIL replies that carry only a message.
RETURN_MSG_CODES = {"签名错误": "SIGNERROR", "缺少参数": "LACK_PARAMS", "XML格式错误": "XML_FORMAT_ERROR",
                    "请使用post方法": "REQUIRE_POST_METHOD", "post数据为空": "POST_DATA_EMPTY",
                    "编码格式错误": "NOT_UTF8", "appid和mch_id不匹配": "APPID_MCHID_NOT_MATCH",
                    "SYSTEMERROR": "SYSTEMERROR", "系统错误": "SYSTEMERROR", "系统繁忙": "SYSTEMERROR"}
# Codes that mean "nothing happened, try again later".
RETRYABLE_CODES = {"SYSTEMERROR", "BIZERR_NEED_RETRY", "FREQUENCY_LIMITED", "INVALID_REQ_TOO_MUCH"}
ERROR_CLASSES: dict[str, type[GatewayRejected]] = {
    "ORDERNOTEXIST": OrderNotFound, "REFUNDNOTEXIST": OrderNotFound,
    "ORDERPAID": OrderAlreadyPaid, "ORDERCLOSED": OrderAlreadyClosed,
    "INVALID_REQUEST": DuplicateOrderNumber, "OUT_TRADE_NO_USED": DuplicateOrderNumber,
}
BILL_NO_BILL = {"20002", "20003"}  # No Bill Exist, Bill Creating
BILL_SYSTEM_ERROR = "20100"


def parse_reply(text: str) -> dict[str, Any]:
    """A reply body as a flat dict; BadReply when it is not WeChat's XML."""
    try:
        doc = xmltodict.parse(text)
    except (ExpatError, ValueError) as exc:
        raise BadReply("reply is not XML") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("xml"), dict):
        raise BadReply("reply is not WeChat's XML")
    return dict(doc["xml"])


def http_error(status: int | None) -> GatewayError:
    """A non-2xx answer: 5xx (or none) is worth retrying, anything else is a wrong address."""
    if status is None or status >= 500:
        return GatewayUnavailable(f"WeChat Pay HTTP {status}")
    return BadReply(f"WeChat Pay HTTP {status} (is WECHATPAY_API_BASE right?)")


def call_failed(message: str, reply_text: str | None) -> GatewayError:
    """return_code FAIL: the call itself failed; bills add a numeric error_code."""
    error_code = None
    if reply_text:
        try:
            error_code = parse_reply(reply_text).get("error_code")
        except BadReply:
            error_code = None
    if error_code in BILL_NO_BILL:
        return NoBill(error_code, message)
    if error_code == BILL_SYSTEM_ERROR:
        return GatewayUnavailable(message, error_code)
    if error_code:
        return GatewayRejected(error_code, message)
    code = next((c for m, c in RETURN_MSG_CODES.items() if message.startswith(m)),
                "PARAM_ERROR" if "参数" in message else "FAIL")
    if code in RETRYABLE_CODES:
        return GatewayUnavailable(message, code)
    return GatewayRejected(code, message)


def business_failed(code: str | None, message: str | None,
                    default: type[GatewayRejected] = GatewayRejected) -> GatewayError:
    """result_code FAIL: WeChat refused the business request with err_code."""
    code = code or "FAIL"
    if code in RETRYABLE_CODES:
        return GatewayUnavailable(message or code, code)
    return ERROR_CLASSES.get(code, default)(code, message or "")
