"""WeChat Pay API v2 wire format: signing, XML in and out, ids and Beijing time.

Everything here is pure (no state, no Flask) so that the simulator, its tests and
anyone reading the protocol can use the same few functions.
"""
from __future__ import annotations

import hashlib
import hmac
import random
import re
import secrets
import string
import time
from datetime import datetime, timedelta, timezone
from typing import Mapping
from xml.parsers.expat import ExpatError
from xml.sax.saxutils import escape

import xmltodict

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

MD5 = "MD5"
HMAC_SHA256 = "HMAC-SHA256"

# return_msg texts WeChat uses when return_code is FAIL (the call itself failed).
MSG_SIGNERROR = "签名错误"
MSG_LACK_PARAMS = "缺少参数"
MSG_XML_FORMAT = "XML格式错误"
MSG_REQUIRE_POST = "请使用post方法"
MSG_POST_EMPTY = "post数据为空"
MSG_NOT_UTF8 = "编码格式错误"
MSG_APPID_MCHID = "appid和mch_id不匹配"
MSG_SYSTEMERROR = "SYSTEMERROR"
DES_SYSTEMERROR = "系统错误"


# WeChat amounts are integer fen of at most 10 ASCII digits: str.isdigit() also says yes
# to "²" and full-width digits, and SQLite cannot hold 23 of them.
_AMOUNT_RE = re.compile(r"[0-9]{1,10}")


def is_amount(text: str) -> bool:
    """True for 1-10 ASCII digits, the only amounts WeChat accepts."""
    return isinstance(text, str) and _AMOUNT_RE.fullmatch(text) is not None


class ProtocolError(Exception):
    """A request that fails at the envelope level: return_code=FAIL, return_msg."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BusinessError(Exception):
    """A well-formed request WeChat refuses: result_code=FAIL with err_code."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description


def sign(params: Mapping[str, object], key: str, sign_type: str = MD5) -> str:
    """Sign parameters the way WeChat Pay v2 does and return the upper-case hex.

    Every non-empty field except ``sign`` takes part, sorted by key in ASCII
    order, joined as ``k=v&…&key=<key>``; MD5, or HMAC-SHA256 keyed with the API
    key when ``sign_type`` says so.
    """
    parts = [f"{k}={params[k]}" for k in sorted(params)
             if k != "sign" and params[k] is not None and str(params[k]) != ""]
    parts.append(f"key={key}")
    message = "&".join(parts).encode("utf-8")
    if sign_type == HMAC_SHA256:
        digest = hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()
    else:
        digest = hashlib.md5(message).hexdigest()
    return digest.upper()


def check_sign(params: Mapping[str, object], key: str) -> bool:
    """True when ``params['sign']`` matches, using the sign_type the sender declared."""
    sign_type = str(params.get("sign_type") or MD5)
    given = str(params.get("sign") or "")
    return bool(given) and hmac.compare_digest(given, sign(params, key, sign_type))


def parse_xml(body: bytes) -> dict[str, str]:
    """Parse a ``<xml>…</xml>`` body into a flat dict of strings.

    Raises ProtocolError with WeChat's message for an empty body, a body that
    is not UTF-8, or one that is not the flat XML WeChat expects.
    """
    if not body or not body.strip():
        raise ProtocolError(MSG_POST_EMPTY)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(MSG_NOT_UTF8) from exc
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        # WeChat never sends a DTD; refusing them closes the door on entity tricks.
        raise ProtocolError(MSG_XML_FORMAT)
    try:
        doc = xmltodict.parse(text)
    except (ExpatError, ValueError) as exc:
        raise ProtocolError(MSG_XML_FORMAT) from exc
    root = doc.get("xml") if isinstance(doc, dict) else None
    if not isinstance(root, dict):
        raise ProtocolError(MSG_XML_FORMAT)
    out: dict[str, str] = {}
    for key, value in root.items():
        if isinstance(value, (dict, list)):
            # Nested or repeated elements never occur in v2 requests.
            raise ProtocolError(MSG_XML_FORMAT)
        out[key] = "" if value is None else str(value)
    return out


def to_xml(fields: Mapping[str, object]) -> str:
    """Render a flat dict as WeChat's XML: numbers bare, text in CDATA."""
    lines = ["<xml>"]
    for key, value in fields.items():
        if value is None:
            continue
        text = str(value)
        if text.isascii() and text.isdigit():
            lines.append(f"<{key}>{text}</{key}>")
        elif "]]>" in text:
            lines.append(f"<{key}>{escape(text)}</{key}>")
        else:
            lines.append(f"<{key}><![CDATA[{text}]]></{key}>")
    lines.append("</xml>")
    return "".join(lines)


def fail_xml(message: str) -> str:
    """The unsigned reply for a call that failed at the envelope level."""
    return to_xml({"return_code": "FAIL", "return_msg": message})


def nonce(length: int = 32) -> str:
    """A random nonce_str of letters and digits."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def beijing(ts: float) -> datetime:
    """An epoch timestamp as an aware Beijing datetime."""
    return datetime.fromtimestamp(ts, BEIJING)


def wx_time(ts: float) -> str:
    """``yyyyMMddHHmmss`` in Beijing time, WeChat's compact time format."""
    return beijing(ts).strftime("%Y%m%d%H%M%S")


def wx_dashed_time(ts: float) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in Beijing time, used by refunds and bills."""
    return beijing(ts).strftime("%Y-%m-%d %H:%M:%S")


def parse_wx_time(text: str) -> float:
    """Read a ``yyyyMMddHHmmss`` Beijing time back into an epoch timestamp."""
    return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=BEIJING).timestamp()


def _digits(n: int) -> str:
    return "".join(random.choice(string.digits) for _ in range(n))


def new_transaction_id(ts: float | None = None) -> str:
    """A 28-digit transaction id: 4200, 6 digits, the Beijing date, 10 digits."""
    day = beijing(ts if ts is not None else time.time()).strftime("%Y%m%d")
    return "4200" + _digits(6) + day + _digits(10)


def new_refund_id(ts: float | None = None) -> str:
    """A 29-digit refund id: 5030, 6 digits, the Beijing date, 11 digits."""
    day = beijing(ts if ts is not None else time.time()).strftime("%Y%m%d")
    return "5030" + _digits(6) + day + _digits(11)


def new_prepay_id(ts: float | None = None) -> str:
    """A 36-character prepay id shaped like WeChat's: ``wx``, Beijing time, 20 hex."""
    stamp = beijing(ts if ts is not None else time.time()).strftime("%Y%m%d%H%M%S")
    return "wx" + stamp + secrets.token_hex(10)
