"""Reading JSON bodies, headers and query parameters strictly: each bad part is a 400 naming it.

Numbers go through the bounded parsers (`app.core.numbers`), so the API accepts and
refuses exactly what the pages do; a JSON body must be an object with known keys only,
so that a misspelt key is reported rather than silently ignored.
"""
from __future__ import annotations

import json
import re
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l

from app.api.base import BadParameter
from app.core import numbers

MAX_BODY = 64 * 1024          # fifty order lines are far less; more is not an order
MAX_QUANTITY = 1_000_000
_KEY = re.compile(r"[\x20-\x7e]{1,100}")
_OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def json_object(allowed: set[str], *, required: bool = True) -> dict[str, Any]:
    """The request's JSON object (an empty one when there is no body and none is required)."""
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY:
        raise BadParameter(_l("The body is too large: at most %(n)d bytes.", n=MAX_BODY), "body")
    if not raw.strip() and not required:
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise BadParameter(_l("Send a JSON object as the body."), "body")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise BadParameter(_l("Unknown field: %(name)s.", name=unknown[0]), unknown[0])
    return data


def whole(value: Any, field: str, lo: int, hi: int) -> int:
    """A JSON integer from lo to hi (not a string, a fraction or true)."""
    if value is None:
        raise BadParameter(_l("This is required."), field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadParameter(_l("Give a whole number, such as 3."), field)
    try:
        return numbers.parse_int(str(value), lo, hi)
    except numbers.NumberError as e:
        raise BadParameter(e.message(), field) from None


def order_lines(data: dict[str, Any], max_lines: int) -> list[tuple[int, int]]:
    """`lines`: 1 to max_lines objects {offer_id, quantity}; fields named like lines[2].quantity."""
    lines = data.get("lines")
    if not isinstance(lines, list) or not lines:
        raise BadParameter(_l("Send lines: a list of {offer_id, quantity} objects."), "lines")
    if len(lines) > max_lines:
        raise BadParameter(_l("An order has at most %(n)d lines.", n=max_lines), "lines")
    parsed = []
    for i, line in enumerate(lines):
        where = f"lines[{i}]"
        if not isinstance(line, dict):
            raise BadParameter(_l("Each line is an object {offer_id, quantity}."), where)
        unknown = sorted(set(line) - {"offer_id", "quantity"})
        if unknown:
            raise BadParameter(_l("Unknown field: %(name)s.", name=unknown[0]), f"{where}.{unknown[0]}")
        parsed.append((whole(line.get("offer_id"), f"{where}.offer_id", 1, numbers.MAX_INT),
                       whole(line.get("quantity"), f"{where}.quantity", 1, MAX_QUANTITY)))
    return parsed


def optional_id(data: dict[str, Any], field: str) -> int | None:
    return None if data.get(field) is None else whole(data[field], field, 1, numbers.MAX_INT)


def openid(data: dict[str, Any]) -> str | None:
    value = data.get("openid")
    if value is None:
        return None
    if not isinstance(value, str) or not _OPENID.fullmatch(value):
        raise BadParameter(_l("An openid is 1 to 64 letters, digits, - and _."), "openid")
    return value


def choice(data: dict[str, Any], field: str, choices: tuple[str, ...]) -> str:
    value = data.get(field)
    if value not in choices:
        raise BadParameter(_l("Choose one of: %(choices)s.", choices=", ".join(choices)), field)
    return value


def idempotency_key() -> str | None:
    """The Idempotency-Key header: 1 to 100 printable ASCII characters, or absent."""
    value = request.headers.get("Idempotency-Key")
    if value is None:
        return None
    if not _KEY.fullmatch(value):
        raise BadParameter(_l("An Idempotency-Key is 1 to 100 printable ASCII characters."), "Idempotency-Key")
    return value


def query_int(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name, "")
    if not raw:
        return default
    try:
        return numbers.parse_int(raw, lo, hi)
    except numbers.NumberError as e:
        raise BadParameter(e.message(), name) from None
