"""The PDF renderer under every statement: Chinese as real text in a CJK font, "x / y" on
every page, headers repeated, and nothing loaded but our own static files."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from jinja2 import ChoiceLoader, DictLoader

from app.statements import pdf

DOCUMENT = """{% extends "statements/pdf/_base.html" %}
{% block title %}对账单{% endblock %}
{% block addressee %}{{ company }}{% endblock %}
{% block body %}
<table><thead><tr><th>日期</th><th>摘要</th><th class="num">金额</th></tr></thead>
<tbody>{% for n in range(rows) %}<tr><td>2026-11-{{ '%02d' % (n % 28 + 1) }}</td><td>订单 第{{ n }}行</td>
<td class="num">{{ n }}.00</td></tr>{% endfor %}</tbody></table>
{{ extra | safe }}
{% endblock %}"""


def _render(app: Flask, tmp_path: Path, **context) -> tuple[bytes, str]:
    # The document is a template of the test's own, found before the portal's templates.
    name = "statements/pdf/_test_document.html"
    portal_loader = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([DictLoader({name: DOCUMENT}), portal_loader])
    try:
        with app.test_request_context():
            data = pdf.render(name, **context)
    finally:
        app.jinja_env.loader = portal_loader
    target = tmp_path / "doc.pdf"
    target.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True,
                          check=True).stdout
    return data, text


def test_pdftotext_is_installed() -> None:
    assert shutil.which("pdftotext"), "poppler-utils is missing: make test installs it"


def test_chinese_is_text_in_an_embedded_cjk_font(app: Flask, tmp_path: Path) -> None:
    data, text = _render(app, tmp_path, company="深圳市前海跨境贸易有限公司", rows=3, extra="")
    assert data.startswith(b"%PDF")
    assert "深圳市前海跨境贸易有限公司" in text and "订单 第2行" in text
    fonts = subprocess.run(["pdffonts", str(tmp_path / "doc.pdf")], capture_output=True, text=True,
                           check=True).stdout
    assert "WenQuanYi" in fonts and " yes " in fonts      # embedded (subset)


def test_every_page_says_x_of_y_and_repeats_the_header(app: Flask, tmp_path: Path) -> None:
    _, text = _render(app, tmp_path, company="A", rows=300, extra="")
    pages = text.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 5
    for n, page in enumerate(pages, start=1):
        assert re.search(rf"(?<!\d){n}\s*/\s*{len(pages)}(?!\d)", page), page[-200:]
        assert "摘要" in page                 # the table header, on every page


def test_nothing_but_our_static_files_is_loaded(app: Flask, tmp_path: Path, caplog) -> None:
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    extra = (f'<img src="http://169.254.169.254/latest/meta-data">'
             f'<link rel="stylesheet" href="{secret.as_uri()}">'
             f'<img src="file:///etc/passwd"><img src="../../../etc/hostname">')
    with caplog.at_level("WARNING", logger="app.statements.pdf"):
        data, text = _render(app, tmp_path, company="A", rows=1, extra=extra)
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert any("169.254.169.254" in m for m in refused)
    assert any("secret.css" in m for m in refused)
    assert any("/etc/passwd" in m for m in refused)
    assert any("etc/hostname" in m for m in refused)
    assert not any("pdf.css" in m for m in refused)      # our own stylesheet loads
