"""Keyset pages over a list already sorted in memory, named by opaque cursors.

A cursor is the sort key of the last item shown, so the next page starts right after
it even when items were added or removed in between (an offset would skip or repeat
them). It carries the name of the order it belongs to, and one made for another order
is refused rather than read as a position in this one.
"""
from __future__ import annotations

import base64
import binascii
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_CURSOR = 200                     # characters; anything longer is not one of ours
_INT = re.compile(r"-?[0-9]{1,20}")
_DEC = re.compile(r"-?[0-9]{1,20}\.[0-9]{1,20}")


@dataclass(frozen=True)
class Window(Generic[T]):
    items: list[T]
    start: int              # 0-based index of items[0] in the whole list
    total: int
    next: str | None        # the cursor of the next page, None on the last


def encode(order: str, key: tuple) -> str:
    """An opaque cursor for `key` (ints and Decimals) in the order named `order`."""
    parts = [order] + [("d" if isinstance(v, Decimal) else "i") + str(v) for v in key]
    return base64.urlsafe_b64encode("~".join(parts).encode()).decode().rstrip("=")


def decode(cursor: str, order: str) -> tuple | None:
    """The key a cursor names, or None when it is not a cursor of this order."""
    if not cursor or len(cursor) > MAX_CURSOR or not cursor.isascii():
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, ValueError):
        return None
    name, *parts = text.split("~")
    if name != order or not parts:
        return None
    key: list[int | Decimal] = []
    for part in parts:
        kind, value = part[:1], part[1:]
        if kind == "i" and _INT.fullmatch(value):
            key.append(int(value))
        elif kind == "d" and (_DEC.fullmatch(value) or _INT.fullmatch(value)):
            try:
                key.append(Decimal(value))
            except InvalidOperation:
                return None
        else:
            return None
    return tuple(key)


def window(items: Sequence[T], keys: Sequence[tuple], order: str, after: tuple | None,
           limit: int) -> Window[T]:
    """Up to `limit` items that sort after `after` (the first ones when None).

    `keys` are the items' sort keys in ascending order, one per item.
    """
    start = 0 if after is None else bisect_right(keys, after)
    end = min(start + limit, len(items))
    following = encode(order, keys[end - 1]) if end < len(items) and end > start else None
    return Window(list(items[start:end]), start, len(items), following)
