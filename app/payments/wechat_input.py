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

from .gateway import BadReply

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
