"""In real Chromium against the portal served over HTTP: a finance person asks for a
statement, watches its page wait while a real `rq worker` builds it from Redis, and the
page turns ready by itself (htmx polling) with its figures and files; the statement pages
pass axe-core in the two pairings the every-page audit does not (English at desktop
width, Chinese at phone width)."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_axe import FAILING_IMPACTS, FREEZE_HTMX, RUN_AXE, _axe_source
from tests.orders.test_pay_browser import DESKTOP, PHONE, no_overflow, sign_in
from tests.statements.test_statement_helpers import beijing, book_history, month_before_last
from tests.workers import run_worker, stop_process


def _axe(page: Page) -> list[str]:
    page.add_script_tag(content=_axe_source())
    page.evaluate(FREEZE_HTMX)
    result = page.evaluate(RUN_AXE, [])
    return [f"{page.url}: {v['id']} ({v['impact']}) {v['help']}" for v in result["violations"]
            if v["impact"] in FAILING_IMPACTS]


@pytest.fixture
def finance_person(live_server):
    month = month_before_last()

    def build(f):
        company = f.company(name="广州南沙跨境电商有限公司")
        user = f.user(role="finance", company=company, name="周会计")
        book_history(company.id, 3, beijing(month.start + timedelta(days=8), 16))
        return {"email": user.email}

    return live_server.commit(build), month


def test_a_statement_is_asked_for_watched_and_downloaded(live_server, finance_person, page: Page, monkeypatch,
                                                          queue_name, redis_url, tmp_path):
    from tests.conftest import FILES_DIR

    person, month = finance_person
    monkeypatch.setitem(live_server.app.config, "RQ_QUEUE", queue_name)
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server.url, person["email"])
    page.goto(live_server.url + "/statements")
    page.get_by_label("开始日期").fill(month.start.isoformat())
    page.get_by_label("结束日期（含）").fill(month.end.isoformat())
    page.get_by_role("button", name="生成对账单").click()
    status = page.locator("#statement-status")
    expect(status).to_have_attribute("data-status", "requested")
    expect(status).to_contain_text("正在等待后台任务开始处理")

    worker = run_worker(redis_url, queue_name, FILES_DIR=FILES_DIR)
    try:
        expect(status).to_have_attribute("data-status", "ready", timeout=60_000)
    finally:
        log = stop_process(worker)
    assert "Traceback" not in log, log
    expect(status).to_contain_text("期末余额")
    expect(page.locator(".statement-figures")).to_contain_text("¥300.03")  # three orders charged
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 PDF").click()
    pdf = download.value.path().read_bytes()
    shown = page.locator(".checksums code").first.text_content()  # folded away until opened
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == shown


@pytest.mark.parametrize("language, viewport", [("en", DESKTOP), ("zh_CN", PHONE)])
def test_the_statement_pages_pass_axe_in_the_other_pairings(live_server, finance_person, browser, language, viewport,
                                                             monkeypatch, queue_name):
    person, month = finance_person
    monkeypatch.setitem(live_server.app.config, "RQ_QUEUE", queue_name)

    def ask(f):
        from sqlalchemy import select

        from app.accounts.models import User
        from app.extensions import db
        from app.statements import statement_build, statement_service

        user = db.session.scalar(select(User).where(User.email == person["email"]))
        user.language = language
        statement = statement_service.request(user.company_id, month.start, month.end, user=user)
        statement_build.build(statement.id)  # built here: the ready page is the one with the most to audit
        return statement.id

    statement_id = live_server.commit(ask)
    context = browser.new_context(bypass_csp=True, viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    try:
        sign_in(page, live_server.url, person["email"])
        problems = []
        for url in ("/statements", f"/statements/{statement_id}"):
            page.goto(live_server.url + url)
            no_overflow(page)
            problems += _axe(page)
        assert ("cross-border purchasing" in page.title()) == (language == "en"), "the page speaks the user's language"
    finally:
        context.close()
    assert not problems, "\n".join(problems)
