"""Attachments are judged by what they contain: an executable renamed to .png, a file over
5 MB or too many files are refused with a message and nothing is kept; images and PDFs
are stored outside the web root and come back as exactly what was sent."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from app.helpdesk.models import Attachment, Message, Ticket
from tests.helpdesk.conftest import EXE, PDF, png

FORM = {"type": "complaint", "subject": "破损照片", "message": "见附件。"}


def _stored(app) -> set[Path]:
    root = Path(app.config["FILES_DIR"]) / "tickets"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _post(browser, *files: tuple[bytes, str, str]):
    data = {**FORM, "attachments": [(io.BytesIO(b), name, kind) for b, name, kind in files]}
    return browser.post("/tickets/new", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("name, kind", [("invoice.png", "image/png"), ("报告.pdf", "application/pdf")])
def test_a_renamed_executable_is_refused_and_nothing_is_kept(app, desk, customer, signed_in, db_session, name, kind):
    before = _stored(app)
    refused = _post(signed_in(customer), (png(), "ok.png", "image/png"), (EXE, name, kind))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert f"{name} 不是图片（PNG、JPEG、GIF、WebP）或 PDF 文件" in html
    assert db_session.scalar(select(Ticket.id)) is None and db_session.scalar(select(Attachment.id)) is None
    assert _stored(app) == before  # not even the good file was written


def test_a_file_over_five_megabytes_is_refused(app, desk, customer, signed_in, db_session):
    before = _stored(app)
    refused = _post(signed_in(customer), (png(5 * 1024 * 1024 + 1), "大图.png", "image/png"))
    assert refused.status_code == 422 and "大图.png 超过 5 MB" in refused.get_data(as_text=True)
    assert db_session.scalar(select(Ticket.id)) is None and _stored(app) == before
    just_fits = _post(signed_in(customer), (png(5 * 1024 * 1024), "刚好.png", "image/png"))
    assert just_fits.status_code == 303


def test_more_than_three_files_are_refused(desk, customer, signed_in, db_session):
    refused = _post(signed_in(customer), *[(png(), f"{n}.png", "image/png") for n in range(4)])
    assert refused.status_code == 422 and "每条消息最多附带 3 个文件" in refused.get_data(as_text=True)
    assert db_session.scalar(select(Message.id)) is None


def test_images_and_pdfs_come_back_as_sent_outside_the_web_root(app, desk, customer, agent, signed_in, db_session):
    picture, browser = png(), signed_in(customer)
    # The browser's word for the type does not matter: the content decides.
    assert _post(browser, (picture, "照片.jpg", "application/octet-stream"), (PDF, "发票", "text/plain")).status_code == 303
    found = {a.filename: a for a in db_session.scalars(select(Attachment))}
    photo, invoice = found["照片.jpg"], found["发票"]
    assert (photo.content_type, invoice.content_type) == ("image/png", "application/pdf")
    assert photo.sha256 == hashlib.sha256(picture).hexdigest() and photo.size == len(picture)
    on_disk = Path(app.config["FILES_DIR"]) / photo.key
    assert on_disk.read_bytes() == picture and not str(on_disk).startswith(app.static_folder)

    for who in (browser, signed_in(agent)):
        shown = who.get(f"/tickets/{photo.ticket_id}/attachments/{photo.id}")
        assert shown.status_code == 200 and shown.data == picture and shown.mimetype == "image/png"
        assert shown.headers["X-Content-Type-Options"] == "nosniff"
        assert "attachment" not in shown.headers.get("Content-Disposition", "")
    download = browser.get(f"/tickets/{invoice.ticket_id}/attachments/{invoice.id}")
    assert download.data == PDF and download.headers["Content-Disposition"].startswith("attachment")


def test_an_agent_reply_can_carry_a_file(desk, customer, agent, signed_in, db_session):
    browser = signed_in(customer)
    _post(browser)
    ticket = db_session.scalar(select(Ticket))
    sent = signed_in(agent).post(f"/helpdesk/tickets/{ticket.id}/reply", content_type="multipart/form-data",
                                 data={"message": "操作说明见 PDF。", "then": "pending_customer",
                                       "attachments": [(io.BytesIO(PDF), "操作说明.pdf", "application/pdf")]})
    assert sent.status_code == 303
    assert "操作说明.pdf" in browser.get(f"/tickets/{ticket.id}").get_data(as_text=True)
