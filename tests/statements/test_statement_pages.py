"""The buyer's statement pages: the company's owner and finance people only (403 for other
roles), scoped to the company on every URL (404 for another's), the form that asks for a
range refusing bad ranges in the user's language without a trace, lists in a fixed
number of queries, and files served only as they were stored."""
from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.core import csvio, files
from app.extensions import db
from app.statements import statement_service
from app.statements.statement_models import Statement
from tests.statements.test_statement_helpers import beijing, book_history, month_before_last, run_build


@pytest.fixture
def staff_of_a(make_company, make_user):
    """A company with an owner, a finance person and a buyer; no statement yet."""
    company = make_company(name="上海浦东进口商贸有限公司")
    return company, {role: make_user(role=role, company=company) for role in ("owner", "finance", "buyer")}


@pytest.fixture
def company_a(staff_of_a):
    """The same with a ready statement of two orders paid."""
    company, people = staff_of_a
    month = month_before_last()
    book_history(company.id, 2, beijing(month.start + timedelta(days=3), 11))
    statement = statement_service.request(company.id, month.start, month.end, user=people["finance"])
    run_build(statement)
    db.session.refresh(statement)
    return company, people, statement


def _urls(statement_id: int) -> list[str]:
    return [f"/statements/{statement_id}", f"/statements/{statement_id}/status", f"/statements/{statement_id}.pdf",
            f"/statements/{statement_id}.csv"]


def test_owner_and_finance_read_statements_other_roles_are_refused(client, new_client, login, company_a, make_user):
    _company, people, statement = company_a
    for role in ("owner", "finance"):
        browser = new_client()
        login(browser, people[role])
        assert browser.get("/statements").status_code == 200
        for url in _urls(statement.id):
            assert browser.get(url).status_code == 200, (role, url)
    staff = make_user(role=None, staff_role="admin")
    for user in (people["buyer"], staff):
        browser = new_client()
        login(browser, user)
        for url in ["/statements", *_urls(statement.id)]:
            assert browser.get(url).status_code == 403, (user.email, url)
        month = month_before_last()
        refused = browser.post("/statements", data={"start": month.start.isoformat(), "end": month.end.isoformat()})
        assert refused.status_code == 403
    assert client.get(f"/statements/{statement.id}").status_code in (302, 303), "a visitor is sent to sign in"
    assert db.session.scalar(select(func.count()).select_from(Statement)) == 1, "nobody else asked for one"


def test_another_company_gets_404_on_every_statement_url(client, login, company_a, make_user):
    _company, people, statement = company_a
    stranger = make_user(role="owner")
    login(client, stranger)
    for url in _urls(statement.id):
        response = client.get(url)
        assert response.status_code == 404, url
        assert statement.pdf_sha256 not in response.get_data(as_text=True)
    listing = client.get("/statements").get_data(as_text=True)
    assert f'data-statement="{statement.id}"' not in listing and "暂无对账单" in listing


def test_files_are_the_stored_bytes_and_a_tampered_file_is_not_served(client, login, company_a):
    _company, people, statement = company_a
    login(client, people["owner"])
    pdf = client.get(f"/statements/{statement.id}.pdf")
    assert pdf.data.startswith(b"%PDF") and hashlib.sha256(pdf.data).hexdigest() == statement.pdf_sha256
    assert "attachment" in pdf.headers["Content-Disposition"] and pdf.headers["Cache-Control"] == "private, no-store"
    csv = client.get(f"/statements/{statement.id}.csv")
    assert csv.mimetype == "text/csv" and hashlib.sha256(csv.data).hexdigest() == statement.csv_sha256
    rows = list(csvio.read(csv.data.decode("utf-8")))
    assert rows[1][1] == "期初余额" and rows[-1][1] == "期末余额" and len(rows) == 3 + statement.line_count

    Path(files.path_of(statement.csv_key)).write_bytes(csv.data.replace(b"100.", b"900."))
    tampered = client.get(f"/statements/{statement.id}.csv")
    assert tampered.status_code == 404 and "已与生成时不一致" in tampered.get_data(as_text=True)


@pytest.mark.parametrize("start, end, message", [
    ("2026-13-01", "2026-12-31", "请输入日期，例如 2026-01-31。"),
    ("", "2026-01-31", "请选择开始日期。"),
    ("2026-03-10", "2026-03-01", "结束日期早于开始日期。"),
    ("2024-01-01", "2025-01-31", "一份对账单最多涵盖 366 天"),
    ("2026-01-01", "2999-01-01", "结束日期不能晚于今天"),
    ("1999-12-31", "2000-01-31", "开始日期不能早于 2000-01-01"),
])
def test_a_range_that_cannot_be_a_statement_is_refused_and_changes_nothing(client, login, staff_of_a, start, end,
                                                                           message):
    _company, people = staff_of_a
    login(client, people["finance"])
    response = client.post("/statements", data={"start": start, "end": end})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Statement)) == 0


def test_asking_twice_makes_one_and_a_company_has_at_most_five_waiting(client, login, staff_of_a):
    _company, people = staff_of_a
    login(client, people["finance"])
    month = month_before_last()
    first = client.post("/statements", data={"start": month.start.isoformat(), "end": month.end.isoformat()})
    again = client.post("/statements", data={"start": month.start.isoformat(), "end": month.end.isoformat()})
    assert first.headers["Location"] == again.headers["Location"], "a double click asks once"
    for n in range(1, 5):
        day = (month.start + timedelta(days=n)).isoformat()
        assert client.post("/statements", data={"start": day, "end": day}).status_code == 303
    sixth = client.post("/statements", data={"start": month.end.isoformat(), "end": month.end.isoformat()})
    assert sixth.status_code == 429 and "已有 5 份对账单正在生成" in sixth.get_data(as_text=True)


def test_the_list_pages_in_a_fixed_number_of_queries(client, login, staff_of_a, count_queries):
    company, people = staff_of_a
    login(client, people["finance"])
    month = month_before_last()

    def listing():
        with count_queries() as seen:
            html = client.get("/statements").get_data(as_text=True)
        return html, len(seen)

    _, few = listing()
    db.session.add_all([Statement(company_id=company.id, period_start=month.start + timedelta(days=n),
                                  period_end=month.start + timedelta(days=n)) for n in range(25)])
    db.session.flush()
    html, many = listing()
    assert many == few, "one query for the page, however many statements there are"
    assert html.count("data-statement=") == statement_service.PAGE_SIZE and "更早的对账单" in html


def test_the_pages_speak_english_to_an_english_user(client, login, staff_of_a, make_user):
    company, _people = staff_of_a
    reader = make_user(role="finance", company=company, language="en")
    login(client, reader)
    month = month_before_last()
    html = client.get("/statements").get_data(as_text=True)
    assert "Ask for a statement" in html and "对账单" not in html.split("<main", 1)[1]
    asked = client.post("/statements", data={"start": month.start.isoformat(), "end": (month.start + timedelta(days=6)).isoformat()})
    statement = db.session.get(Statement, int(asked.headers["Location"].rsplit("/", 1)[1]))
    run_build(statement)
    rows = list(csvio.read(client.get(f"/statements/{statement.id}.csv").data.decode("utf-8")))
    assert rows[0][:3] == ["Date (Beijing time)", "Type", "Reference"] and rows[1][1] == "Opening balance"
