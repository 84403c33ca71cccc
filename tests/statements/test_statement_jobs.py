"""Statements are built by a job: its progress shows on the statement's page while it runs,
a monthly one texts the company's owner and finance people, a build that keeps failing
ends `failed` with nothing stored, the nightly run asks once per company that moved, and a
real `rq worker` builds one end to end from Redis."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.core.jobs import Intent
from app.core.models import utcnow
from app.extensions import db
from app.notifications.models import SmsMessage
from app.statements import statement_build, statement_jobs, statement_service
from app.statements.statement_models import Statement, StatementStatus
from tests.statements.test_statement_helpers import beijing, book_history, month_before_last, run_build
from tests.workers import run_worker, stop_process, wait_until

HX = {"HX-Request": "true"}


@pytest.fixture
def finance(make_company, make_user):
    company = make_company(name="杭州西湖进口贸易有限公司")
    return make_user(role="finance", company=company)


def test_the_statement_page_shows_the_build_as_it_goes(client, login, finance, monkeypatch):
    month = month_before_last()
    book_history(finance.company_id, 3, beijing(month.start, 9))
    login(client, finance)
    asked = client.post("/statements", data={"start": month.start.isoformat(), "end": month.end.isoformat()})
    assert asked.status_code == 303
    url = asked.headers["Location"]
    waiting = client.get(url).get_data(as_text=True)
    assert 'data-status="requested"' in waiting and "排队等待处理" in waiting
    assert 'hx-trigger="every 1s"' in waiting, "the page asks again every second while it waits"

    seen = []
    real_render = statement_build.pdf.render

    def render_watched(*args, **kwargs):
        seen.append(client.get(url + "/status", headers=HX))  # what the page sees mid-build
        return real_render(*args, **kwargs)

    monkeypatch.setattr(statement_build.pdf, "render", render_watched)
    statement = db.session.get(Statement, int(url.rsplit("/", 1)[1]))
    assert run_build(statement) == "done"
    [during] = seen
    html = during.get_data(as_text=True)
    assert 'data-status="building"' in html and 'data-phase="pdf"' in html and "正在排版 PDF" in html
    assert 'value="2"' in html and "第 3 步，共 4 步" in html and 'hx-trigger="every 1s"' in html
    assert "<html" not in html and "HX-Request" in during.headers["Vary"], "htmx gets the fragment alone"

    done = client.get(url + "/status", headers=HX).get_data(as_text=True)
    assert 'data-status="ready"' in done and "hx-trigger" not in done, "nothing more to wait for"
    pdf = client.get(f"{url}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    db.session.refresh(statement)
    assert hashlib.sha256(pdf.data).hexdigest() == statement.pdf_sha256
    assert statement_build.build(statement.id) == "ready", "a second run of a built statement does nothing"


def test_a_monthly_statement_texts_the_owner_and_finance_people_once(db_session, finance, make_user):
    month = month_before_last()
    company = finance.membership.company
    finance.phone = finance.verified_phone = "+8613900001111"
    owner = make_user(role="owner", company=company, phone="+8613900002222", verified_phone="+8613900002222",
                      language="en")
    make_user(role="buyer", company=company, phone="+8613900003333", verified_phone="+8613900003333")
    book_history(company.id, 2, beijing(month.start + timedelta(days=4), 9))
    statement_service.request_monthly(month.end + timedelta(days=1))
    assert statement_service.request_monthly(month.end + timedelta(days=2)) == 0, "asked for once"
    statement = db_session.scalar(select(Statement).where(Statement.company_id == company.id))
    run_build(statement)
    texts = {m.phone: m.body for m in db_session.scalars(select(SmsMessage).where(SmsMessage.event == "statement_ready"))}
    assert set(texts) == {"+8613900001111", "+8613900002222"}, "the buyer role does not read statements"
    assert f"{month.start.year}年{month.start.month}月的对账单已生成" in texts["+8613900001111"]
    assert f"statement for {month.start:%B %Y} is ready" in texts["+8613900002222"]

    asked = statement_service.request(company.id, month.start, month.end, user=finance)
    run_build(asked)
    assert db_session.scalar(select(SmsMessage.id).where(SmsMessage.about_id == asked.id)) is None, \
        "a statement asked for on the page is watched there: no SMS"


def test_a_build_that_keeps_failing_ends_failed_with_nothing_stored(client, login, finance, monkeypatch):
    month = month_before_last()
    statement = statement_service.request(finance.company_id, month.start, month.end, user=finance)

    def broken(*args):
        raise RuntimeError("the ledger's database went away")

    monkeypatch.setattr(statement_build, "read", broken)
    outcomes = []
    for _ in range(3):
        outcomes.append(run_build(statement))
        db.session.execute(update(Intent).where(Intent.key == f"statement:{statement.id}").values(run_after=utcnow()))
    assert outcomes == ["retry", "retry", "dead"]
    db.session.refresh(statement)
    assert statement.status == StatementStatus.FAILED and statement.pdf_key is None and statement.csv_key is None
    login(client, finance)
    html = client.get(f"/statements/{statement.id}").get_data(as_text=True)
    assert "这份对账单未能生成" in html and "重新申请" in html and "hx-trigger" not in html
    assert client.get(f"/statements/{statement.id}.pdf").status_code == 409
    again = client.post("/statements", data={"start": month.start.isoformat(), "end": month.end.isoformat()})
    assert again.status_code == 303 and again.headers["Location"] != f"/statements/{statement.id}"


def test_the_nightly_run_asks_for_last_month_of_companies_whose_account_moved(db_session, make_company):
    month = month_before_last()
    moved, carried, idle = make_company(), make_company(), make_company()
    book_history(moved.id, 1, beijing(month.start + timedelta(days=5), 9))
    from app import ledger

    before = beijing(month.start - timedelta(days=3), 9)
    ledger.post(f"charge:test-carried-{carried.id}", "charge",
                [ledger.customer(carried.id, 500), ledger.Line(ledger.COMMISSION, -500)], company_id=carried.id, at=before)
    first_of_next = month.end + timedelta(days=1)
    assert statement_service.request_monthly(first_of_next) == 2
    asked = {s.company_id: s for s in db_session.scalars(select(Statement).where(Statement.month == month.start))}
    assert set(asked) == {moved.id, carried.id}, "a company owing money gets its statement though nothing moved"
    assert idle.id not in asked
    assert all((s.period_start, s.period_end) == (month.start, month.end) for s in asked.values())
    assert statement_service.request_monthly(first_of_next + timedelta(days=1)) == 0, "once per month"
    # The periodic job itself asks for the month before today: only the company still owing has one to get.
    assert statement_jobs.monthly_statements() == 1


def test_a_real_worker_builds_the_statement_from_redis(app, committed, queue_name, redis_url):
    from tests.conftest import FILES_DIR

    company = committed.company(name="宁波保税区跨境贸易有限公司")
    finance = committed.user(role="finance", company=company)
    month = month_before_last()
    book_history(company.id, 4, beijing(month.start + timedelta(days=2), 9))
    statement = statement_service.request(company.id, month.start, month.end, user=finance)
    db.session.commit()  # the intent reaches Redis now
    statement_id = statement.id
    worker = run_worker(redis_url, queue_name, FILES_DIR=FILES_DIR)
    try:
        worker.wait(120)
    finally:
        log = stop_process(worker)
    ready = wait_until(lambda: db.session.scalar(select(Statement.status).where(Statement.id == statement_id)
                                                 .execution_options(populate_existing=True)) == StatementStatus.READY,
                       timeout=10)
    assert ready, log
    db.session.expire_all()
    built = db.session.get(Statement, statement_id)
    assert built.line_count == 8 and built.charged_fen == built.paid_fen > 0
    from app.core import files

    assert hashlib.sha256(files.read(built.pdf_key)).hexdigest() == built.pdf_sha256
    assert files.read(built.csv_key, built.csv_sha256).startswith("\ufeff".encode())


def test_two_requests_for_one_range_at_the_same_moment_make_one_statement(app, committed, queue_name):
    import threading

    from app.accounts.models import User
    from app.core.db import unit

    company = committed.company()
    user_id = committed.user(role="finance", company=company).id
    company_id = company.id
    db.session.commit()
    month = month_before_last()
    made, barrier = [], threading.Barrier(2)

    def ask() -> None:
        with app.app_context():
            barrier.wait()
            with unit():
                made.append(statement_service.request(company_id, month.start, month.end,
                                                      user=db.session.get(User, user_id)).id)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(made) == 2 and len(set(made)) == 1, made
    assert db.session.scalar(select(func.count()).select_from(Statement)) == 1
