"""Read a buyer's need (comparison page, offers API) and search filters from query parameters.

Bad values never raise: each one is reported by field and replaced by its default,
so the page still shows something useful while it says what was wrong.
"""
from __future__ import annotations

from datetime import date
from typing import Mapping

from flask_babel import gettext as _

from app.core import money, numbers
from app.catalog.choices import CATEGORIES, COUNTRIES
from app.catalog.compare import ANY, SORT_KEYS, Need
from app.catalog.queries import SearchFilters, decode_cursor

MAX_QUANTITY = 1_000_000


def _int(args: Mapping[str, str], name: str, default: int, lo: int, hi: int, errors: dict[str, str]) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    try:
        return numbers.parse_int(raw, lo, hi)
    except numbers.NumberError:
        errors[name] = _("Enter a whole number from %(lo)d to %(hi)d.", lo=lo, hi=hi)
        return default


def parse_need(args: Mapping[str, str], today: date) -> tuple[Need, dict[str, str]]:
    errors: dict[str, str] = {}
    quantity = _int(args, "quantity", 1, 1, MAX_QUANTITY, errors)
    needed_by = None
    raw = (args.get("needed_by") or "").strip()
    if raw:
        try:
            needed_by = date.fromisoformat(raw)
        except ValueError:
            errors["needed_by"] = _("Enter a date such as 2026-12-31.")
        else:
            if needed_by < today:
                errors["needed_by"] = _("The date has passed.")
                needed_by = None
    weights = [_int(args, f"w_{k}", d, 0, 100, errors) for k, d in (("cost", 60), ("speed", 20), ("reliability", 20))]
    regime = (args.get("regime") or ANY).strip()
    if regime not in (ANY, "retail", "general"):
        errors["regime"] = _("Choose any, retail or general.")
        regime = ANY
    ytd_fen = 0
    raw = (args.get("ytd_cny") or "").strip()
    if raw:
        try:
            ytd_fen = money.parse(raw, "CNY")
        except numbers.NumberError:
            errors["ytd_cny"] = _("Enter an amount in yuan, such as 1200.50.")
    need = Need(quantity=quantity, needed_by=needed_by, w_cost=weights[0], w_speed=weights[1],
                w_reliability=weights[2], regime=regime, ytd_fen=ytd_fen, today=today)
    return need, errors


def parse_sort(args: Mapping[str, str]) -> tuple[str, bool | None]:
    key = args.get("sort") or "score"
    if key not in SORT_KEYS:
        key = "score"
    direction = args.get("dir")
    return key, (None if direction not in ("asc", "desc") else direction == "desc")


def _yuan(args: Mapping[str, str], name: str, errors: dict[str, str]) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return money.parse(raw, "CNY")
    except numbers.NumberError:
        errors[name] = _("Enter an amount in yuan, such as 199 or 1200.50.")
        return None


def parse_search(args: Mapping[str, str]) -> tuple[SearchFilters, dict[str, str]]:
    errors: dict[str, str] = {}
    category = (args.get("category") or "").strip()
    if category and category not in CATEGORIES:
        errors["category"] = _("Unknown category.")
        category = ""
    country = (args.get("country") or "").strip().upper()
    if country and country not in COUNTRIES:
        errors["country"] = _("Unknown country.")
        country = ""
    gtin = (args.get("gtin") or "").strip()
    if gtin and (not gtin.isascii() or not gtin.isdigit() or len(gtin) not in (8, 12, 13, 14)):
        errors["gtin"] = _("A GTIN has 8, 12, 13 or 14 digits.")
        gtin = ""
    filters = SearchFilters(
        q=(args.get("q") or "").strip()[:100], brand=(args.get("brand") or "").strip()[:80], gtin=gtin,
        category=category, country=country, min_fen=_yuan(args, "min_price", errors),
        max_fen=_yuan(args, "max_price", errors), after=decode_cursor(args.get("after") or ""),
        shown=_int(args, "shown", 0, 0, 10_000_000, errors) if args.get("after") else 0)
    return filters, errors
