"""The one CSV writer and reader: formula-safe cells that read back unchanged, every line
end, files the parser cannot read, and the download's headers."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from app.core import csvio

NASTY = ["=cmd|' /C calc'!A0", "-A1", "+86 138", "@SUM(A1:A9)", "\tindented", "\rreturn", "=X",
         "'=already quoted", "''-twice", "'plain apostrophe", "'", "", "a,b", 'say "hi"', "two\nlines",
         "面霜 60ml", "12.50", "-", "=", "0"]


def spreadsheet_view(text: str) -> list[list[str]]:
    """The cells as a spreadsheet's CSV parser gets them, before it decides what is a formula."""
    return list(csv.reader(io.StringIO(text.removeprefix(csvio.BOM), newline="")))


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1+1", "@A1", "\t=1", "\r=1", "=cmd|' /C calc'!A0"])
def test_no_text_cell_reaches_a_spreadsheet_as_a_formula(value):
    [header, row] = spreadsheet_view(csvio.write(["sku"], [[value]]))
    assert header == ["sku"]
    assert row == ["'" + value], "a leading apostrophe makes the cell text"


def test_numbers_stay_numbers_and_plain_text_is_untouched():
    [_, row] = spreadsheet_view(csvio.write(["a", "b", "c", "d", "e", "f"],
                                            [[-5, Decimal("-12.50"), 7, None, "SKU-1", "中文"]]))
    assert row == ["-5", "-12.50", "7", "", "SKU-1", "中文"]


def test_what_the_writer_wrote_the_reader_reads_back_unchanged():
    text = csvio.write(["value"], [[v] for v in NASTY])
    assert [cells for cells in csvio.read(text)] == [["value"], *[[v] for v in NASTY]]


def test_the_reader_takes_every_line_end_and_a_byte_order_mark():
    expected = [["sku", "note"], ["A", "x"], ["B", "y"]]
    for end in ("\r\n", "\n", "\r"):
        text = csvio.BOM + end.join(["sku,note", "A,x", "B,y"]) + end
        assert list(csvio.read(text)) == expected, repr(end)
    # A line end inside a quoted cell stays as it was.
    assert list(csvio.read('sku,note\r"A","one\r\ntwo"\r')) == [["sku", "note"], ["A", "one\r\ntwo"]]


def test_a_cell_the_parser_cannot_hold_names_its_row():
    limit = csv.field_size_limit()
    text = "sku,note\nA,fine\n\nB," + "x" * (limit + 1) + "\nC,never read\n"
    records = csvio.read(text)
    assert next(records) == ["sku", "note"] and next(records) == ["A", "fine"] and next(records) == []
    with pytest.raises(csvio.CsvError) as e:
        next(records)
    assert e.value.row == 4 and e.value.msgid == csvio.CELL_TOO_LONG
    assert e.value.params == {"max": f"{limit:,}"}


def test_the_download_says_what_it_is_once():
    r = csvio.response("offers-supplier-7.csv", ["sku"], [["=X"]])
    assert r.headers.getlist("Content-Type") == ["text/csv; charset=utf-8"]
    assert r.headers["Content-Disposition"] == "attachment; filename=offers-supplier-7.csv"
    body = r.get_data()
    assert body.startswith(b"\xef\xbb\xbf") and body.decode("utf-8-sig") == "sku\r\n'=X\r\n"


@pytest.mark.parametrize("given,plain", [
    ('../../etc/passwd"\r\nSet-Cookie: x=1', "passwd-Set-Cookie-x-1.csv"),
    ("C:\\Users\\me\\statement", "statement.csv"),
    ("...", "export.csv"),
])
def test_a_filename_cannot_break_the_header_or_name_a_folder(given, plain):
    r = csvio.response(given, ["a"], [])
    assert r.headers["Content-Disposition"] == f"attachment; filename={plain}"


def test_a_chinese_filename_travels_percent_encoded_with_an_ascii_fallback():
    r = csvio.response("对账单 2026-05.csv", ["a"], [])
    assert r.headers["Content-Disposition"] == (
        "attachment; filename=2026-05.csv; filename*=UTF-8''%E5%AF%B9%E8%B4%A6%E5%8D%95-2026-05.csv")


def test_no_other_module_writes_or_reads_csv_on_its_own():
    """Exports built later (orders, statements, settlement) inherit the formula guard only
    if they go through csvio, so the csv module is used nowhere else in the portal."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "app"
    uses_csv = re.compile(r"^\s*(import csv\b|from csv import)|\bcsv\.(writer|DictWriter|reader|DictReader)\b", re.M)
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if p.name != "csvio.py" and uses_csv.search(p.read_text(encoding="utf-8"))]
    assert offenders == [], "write and read CSV with app.core.csvio"
