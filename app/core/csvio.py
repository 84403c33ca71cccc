"""The one CSV writer and reader: every export and every import goes through here.

Writing: a spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, tab or CR as a
formula (OWASP's CSV injection list), so such text gets a leading apostrophe and a
supplier's SKU `=cmd|' /C calc'!A0` opens as text. Numbers (int, Decimal) are written as
they are: they cannot hold a formula and a negative amount stays a number, so pass
amounts as Decimals, not as formatted text. `response()` makes the download: one
`Content-Type: text/csv; charset=utf-8`, the byte-order mark Excel needs to see UTF-8,
and a filename that cannot break the header or name a folder.

Reading: `read()` takes what `write()` wrote back unchanged (the apostrophe it added is
removed, and only that one), accepts CRLF, LF and the CR-only line ends of older Mac
spreadsheets, and turns what the parser cannot read into a `CsvError` naming the row.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from flask import Response

CONTENT_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"
# What makes Excel, LibreOffice or Google Sheets read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def N_(msgid: str) -> str:
    """Mark a message for extraction; it is stored untranslated and translated when shown."""
    return msgid


CELL_TOO_LONG = N_("A cell in this row is longer than %(max)s characters. The rows after it were not read.")
UNREADABLE = N_("This row cannot be read as CSV (check its quotation marks). The rows after it were not read.")


class CsvError(ValueError):
    """The parser stopped at `row` (the header is row 1, as a spreadsheet counts)."""

    def __init__(self, row: int, msgid: str, **params: Any) -> None:
        super().__init__(f"row {row}: {msgid % params if params else msgid}")
        self.row, self.msgid, self.params = row, msgid, params


# --- writing --------------------------------------------------------------------------------

def cell(value: Any) -> str:
    """The text of one cell, with a leading apostrophe when a spreadsheet would run it.

    Text that already starts with apostrophes before a formula character gets one more,
    so that `read()` can tell an added apostrophe from one that was in the data.
    """
    if value is None:
        return ""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.lstrip("'").startswith(FORMULA_START) else text


def write(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> str:
    """CSV text (CRLF line ends, no byte-order mark) of a header and rows, every cell safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell(h) for h in header])
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()


def safe_filename(name: str, default: str = "export.csv") -> str:
    """A download name without folders, quotes or control characters, ending in .csv."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)
    name = re.sub(r"-{2,}", "-", name).strip("-.")[:120]
    if not name:
        return default
    return name if name.lower().endswith(".csv") else f"{name}.csv"


def response(filename: str, header: Sequence[str], rows: Iterable[Iterable[Any]]) -> Response:
    """The download of an export: formula-safe cells, UTF-8 with a BOM, `filename` made safe."""
    body = (BOM + write(header, rows)).encode("utf-8")
    resp = Response(body, content_type=CONTENT_TYPE)
    name = safe_filename(filename)
    if name.isascii():
        resp.headers.set("Content-Disposition", "attachment", filename=name)
    else:  # RFC 6266: an ASCII name for old clients, the real one percent-encoded
        plain = safe_filename(unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode())
        resp.headers.set("Content-Disposition", "attachment",
                         **{"filename": plain, "filename*": f"UTF-8''{quote(name, safe='')}"})
    return resp


# --- reading --------------------------------------------------------------------------------

def unescape(text: str) -> str:
    """Undo `cell()`: drop the one apostrophe it puts before a formula character."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_START):
        return text[1:]
    return text


def read(text: str) -> Iterator[list[str]]:
    """The records of CSV `text` as lists of cells, header first; a blank line is [].

    A leading byte-order mark is ignored. Raises CsvError for a record the parser
    cannot read (a cell past csv.field_size_limit(), say); nothing after it is read.
    """
    # newline="" splits lines at CRLF, LF and CR alike and leaves line ends inside
    # quoted cells as they were, as the csv module expects.
    reader = csv.reader(io.StringIO(text.removeprefix(BOM), newline=""))
    row = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            if "field larger than field limit" in str(e):
                raise CsvError(row + 1, CELL_TOO_LONG, max=f"{csv.field_size_limit():,}") from None
            raise CsvError(row + 1, UNREADABLE) from None
        row += 1
        yield [unescape(c) for c in cells]
