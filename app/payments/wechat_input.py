"""Checking and shaping what the WeChat Pay adapter sends and accepts.

Pure functions (no wechatpy, no network) so `wechatpay.py` stays about the calls:
free text made safe for WeChat's XML, IPs and amounts checked before anything
leaves, callback bodies screened for DTDs, and the customs fields built.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any
from xml.parsers import expat
from xml.parsers.expat import ExpatError

from .gateway import BadReply, CustomsRequest

BODY_MAX_BYTES = 127
ATTACH_MAX_BYTES = 127
# Line breaks and tabs read as a space; other control characters go. Backticks start
# every field of WeChat's bill, and "]]>" would end the CDATA the text travels in.
_LINE_BREAKS = re.compile("[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029]+")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


def clip_utf8(text: str, limit: int) -> str:
    """Cut text to at most ``limit`` UTF-8 bytes without splitting a character."""
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def clean_text(text: str, limit: int) -> str:
    """Free text for WeChat (body, attach): no control characters, no ``]]>``, no
    backticks, at most ``limit`` UTF-8 bytes."""
    text = _CONTROLS.sub("", _LINE_BREAKS.sub(" ", text)).replace("`", "")
    while "]]>" in text:
        text = text.replace("]]>", "")
    return clip_utf8(text.strip(), limit).rstrip()


def reject_dtd(body: bytes) -> None:
    """BadReply when a callback declares a DTD anywhere in its prolog.

    WeChat never sends one. Looking for the text "<!DOCTYPE" would miss one
    after a long comment and wrongly refuse a field that merely contains those
    words, so expat reads the whole body and reports any doctype or entity
    declaration it meets. Bodies that are not XML at all are left to the
    parser that follows, which reports them.
    """
    def refuse(*_: Any) -> None:
        raise BadReply("callback body carries a DTD")

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(body, True)
    except ExpatError:
        return


def checked_ip(value: object) -> str:
    """The payer's IP as WeChat needs it (spbill_create_ip, IPv4 or IPv6).

    Checked here because wechatpy replaces an empty IP with this machine's
    address, found by resolving WeChat's host: a missing IP must fail loudly.
    """
    if not isinstance(value, str):
        raise ValueError(f"client_ip must be an IP address, got {value!r}")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError as exc:
        raise ValueError(f"client_ip must be an IP address, got {value!r}") from exc


def positive_fen(value: int, name: str) -> int:
    """An amount that must be a positive integer of fen; ValueError otherwise."""
    # wechatpy drops falsy values when signing, so a 0 would break the signature.
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer number of fen, got {value!r}")
    return value


# -- customs -------------------------------------------------------------------------

CUSTOMS_ACTIONS = ("ADD", "MODIFY")
CUSTOMS_FEES = ("order_fee", "product_fee", "transport_fee", "duty")
# Text the customs calls carry verbatim (a customs number, a person's name): refused
# rather than cleaned, because a silently altered identity fails the customs check.
_UNSAFE_TEXT = re.compile("[\x00-\x1f\x7f-\x9f]|]]>")


def _customs_text(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text, got {value!r}")
    if _UNSAFE_TEXT.search(value):
        raise ValueError(f"{name} holds control characters or ']]>', which WeChat cannot take")
    return value.strip() or None


def _customs_fen(value: object, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number of fen, 0 or more, got {value!r}")
    # As text: wechatpy's signing leaves out falsy values, and the integer 0 is one.
    return str(value)


def customs_declare_fields(request: CustomsRequest) -> dict[str, str]:
    """customdeclareorder's business fields for a CustomsRequest, empty ones left out.

    A split order's fee_type defaults to CNY and an identity's cert_type to
    IDCARD, the only values WeChat takes; whether the fees add up is WeChat's to
    say (PARAM_ERROR). Raises ValueError for an unknown action_type or
    cert_type, an amount that is not a whole number of fen, or unsafe text.
    """
    action = request.action_type or "ADD"
    if action not in CUSTOMS_ACTIONS:
        raise ValueError(f"action_type must be ADD or MODIFY, got {action!r}")
    cert_type = request.cert_type or ("IDCARD" if request.cert_id or request.name else None)
    if cert_type not in (None, "IDCARD"):
        raise ValueError(f"cert_type must be IDCARD (a mainland ID card), got {cert_type!r}")
    texts = {"out_trade_no": request.out_trade_no, "transaction_id": request.transaction_id,
             "customs": request.customs, "mch_customs_no": request.mch_customs_no,
             "action_type": action, "sub_order_no": request.sub_order_no,
             "fee_type": request.fee_type or ("CNY" if request.sub_order_no else None),
             "cert_type": cert_type, "cert_id": request.cert_id, "name": request.name}
    fields = {name: _customs_text(value, name) for name, value in texts.items()}
    fields.update({name: _customs_fen(getattr(request, name), name) for name in CUSTOMS_FEES})
    return {name: value for name, value in fields.items() if value is not None}


def customs_query_fields(**given: str | None) -> dict[str, str]:
    """customdeclarequery's fields: the customs office and at least one order or sub-order key.

    Raises ValueError without customs or without any of out_trade_no,
    transaction_id, sub_order_no and sub_order_id.
    """
    fields = {name: _customs_text(value, name) for name, value in given.items()}
    fields = {name: value for name, value in fields.items() if value is not None}
    if "customs" not in fields:
        raise ValueError("customs is needed to query a declaration")
    if not set(fields) & {"out_trade_no", "transaction_id", "sub_order_no", "sub_order_id"}:
        raise ValueError("give out_trade_no, transaction_id, sub_order_no or sub_order_id")
    return fields
