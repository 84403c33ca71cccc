"""Every text that reaches a bounded column is bounded before the database sees it.

A form's Length check says so beside the field; this is the net under every other way
text arrives (a CSV row, an API call, a header, a job): before each flush, a string
longer than its `String(n)` column is refused with a DomainError naming the attribute,
so the user reads a message in their language and nothing is written, instead of a
500 from the database. Uploaded file names are clipped instead (`clip_name`): the name
is only a label, and refusing a file for it would be absurd.
"""
from __future__ import annotations

import re
from functools import cache
from itertools import chain
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, event, inspect

from app.core.errors import DomainError
from app.extensions import db

# Whitespace as str.isspace knows it (U+3000 ideographic space, no-break space, line
# breaks) plus the zero-width characters that ride along when text is pasted.
_EDGES = re.compile(r"^[\s\u200b\u200c\u200d\u2060\ufeff]+|[\s\u200b\u200c\u200d\u2060\ufeff]+$")


def clean(value: Any) -> Any:
    """`value` without leading and trailing whitespace of any script; non-text as it is."""
    return _EDGES.sub("", value) if isinstance(value, str) else value


class TooLong(DomainError):
    code = "too_long"


def length_of(attribute: Any) -> int:
    """The declared length of a model's `String(n)` attribute, e.g. length_of(User.name)."""
    length = getattr(attribute.property.columns[0].type, "length", None)
    if not length:
        raise TypeError(f"{attribute} has no length")
    return length


def clip_name(name: str, limit: int) -> str:
    """A file name cut to `limit` characters, keeping a short extension such as .csv."""
    if len(name) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and stem and 0 < len(extension) <= 10:
        return stem[: limit - len(extension) - 2] + "…." + extension
    return name[: limit - 1] + "…"


@cache
def _bounded(model: type) -> tuple[tuple[str, int], ...]:
    mapper = inspect(model)
    found = []
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        # Enum is a String too, but its values are members, checked by the Enum itself.
        if isinstance(column.type, String) and column.type.length and not hasattr(column.type, "enums"):
            found.append((attr.key, column.type.length))
    return tuple(found)


def _refuse_overlong(session: Any, flush_context: Any, instances: Any) -> None:
    for obj in chain(session.new, session.dirty):
        state = obj.__dict__  # only what is loaded: reading more would query mid-flush
        for key, length in _bounded(type(obj)):
            value = state.get(key)
            if isinstance(value, str) and len(value) > length:
                raise TooLong(_l("This is too long: use at most %(n)d characters.", n=length), key)


def init_app(app: Flask) -> None:
    # Session events are class-wide: register once per process, not once per app.
    if not event.contains(db.session, "before_flush", _refuse_overlong):
        event.listen(db.session, "before_flush", _refuse_overlong)
