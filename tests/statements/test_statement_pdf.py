"""A statement's PDF read back as a person's tools read it (poppler): the company's Chinese
name is text, every character has a glyph of the CJK font, and a 300-line statement runs
over pages that each say "x / y" with the right y, repeat the table's header and lose no
line at a page break."""
from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from functools import cache
from pathlib import Path

from app.core import files
from app.statements import statement_service
from app.statements.statement_models import Statement, StatementStatus
from tests.statements.test_statement_helpers import beijing, book_history, month_before_last, run_build

COMPANY = "深圳市前海跨境贸易有限公司"
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


@cache
def _font_characters() -> frozenset[str]:
    from fontTools.ttLib import TTCollection

    return frozenset(chr(code) for font in TTCollection(str(FONT)).fonts for code in font.getBestCmap())


def _poppler(tool: str, path: Path, *args: str) -> str:
    return subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
                          capture_output=True, text=True, check=True).stdout


def test_a_300_line_statement_pages_and_glyphs(db_session, make_company, make_user, tmp_path):
    company = make_company(name=COMPANY)
    make_user(role="finance", company=company)
    month = month_before_last()
    references = book_history(company.id, 150, beijing(month.start + timedelta(days=1), 9))
    statement_service.request_monthly(month.end + timedelta(days=1))
    statement = db_session.query(Statement).filter_by(company_id=company.id, month=month.start).one()
    assert run_build(statement) == "done"
    db_session.refresh(statement)
    assert statement.status == StatementStatus.READY and statement.line_count == 300

    path = tmp_path / "statement.pdf"
    path.write_bytes(files.read(statement.pdf_key, statement.pdf_sha256))
    text = _poppler("pdftotext", path, "-layout")
    pages = [page for page in text.split("\f") if page.strip()]
    count = int(re.search(r"^Pages:\s+(\d+)$", _poppler("pdfinfo", path), re.M).group(1))
    assert count == len(pages) >= 6, "300 lines take several A4 pages"
    for n, page in enumerate(pages, start=1):
        assert re.search(rf"(?<![\d/]){n}\s*/\s*{count}(?!\d)", page), f"page {n} does not say {n} / {count}"
        assert re.search(r"日期\s+类型\s+参考号", page), f"page {n} lacks the table's header"
    assert COMPANY in pages[0], "the company's name is text on the letterhead"
    for reference in references:
        assert text.count(reference) == 1, f"{reference} is lost or repeated at a page break"

    fonts = _poppler("pdffonts", path).splitlines()[2:]
    assert fonts and all("WenQuanYi" in line and " yes yes yes " in line for line in fonts), \
        "every character is set in the embedded CJK font, none in a fallback"
    shown = {c for c in text if not c.isspace()}
    assert not shown - _font_characters(), f"characters without a glyph: {sorted(shown - _font_characters())}"
