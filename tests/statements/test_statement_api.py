"""The statements API: `GET /api/v1/statements` and each statement's `.pdf` and `.csv`, by
token or by session, for the company's owner and finance people, scoped to the caller's
company, every refusal in the API's one error envelope."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from app.extensions import db
from app.statements import statement_service
from tests.api.conftest import Api, api_as, token_for  # noqa: F401
from tests.statements.test_statement_helpers import beijing, book_history, month_before_last, run_build


@pytest.fixture
def finance_of_a(make_company, make_user):
    company = make_company(name="天津港保税区贸易有限公司")
    finance = make_user(role="finance", company=company)
    month = month_before_last()
    book_history(company.id, 2, beijing(month.start + timedelta(days=6), 14))
    ready = statement_service.request(company.id, month.start, month.end, user=finance)
    run_build(ready)
    waiting = statement_service.request(company.id, month.start, month.start + timedelta(days=9), user=finance)
    db.session.refresh(ready)
    return finance, ready, waiting


def _error(response) -> dict:
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "field", "message"}, body
    return body["error"]


def test_the_list_and_the_files_by_token(api_as, finance_of_a):  # noqa: F811
    finance, ready, waiting = finance_of_a
    api = api_as(finance)
    body = api.get("/api/v1/statements").get_json()
    assert [s["id"] for s in body["items"]] == [waiting.id, ready.id] and body["next_cursor"] is None
    item = body["items"][1]
    assert item["status"] == "ready" and item["kind"] == "custom" and item["currency"] == "CNY"
    assert item["figures"]["closing_fen"] == ready.closing_fen and item["figures"]["lines"] == 4
    assert item["figures"]["charged_fen"] == item["figures"]["paid_fen"] == ready.charged_fen
    assert body["items"][0]["status"] == "requested" and body["items"][0]["pdf"] is None
    pdf = api.get(item["pdf"]["url"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == item["pdf"]["sha256"] and len(pdf.data) == item["pdf"]["size"]
    csv = api.get(item["csv"]["url"])
    assert csv.mimetype == "text/csv" and hashlib.sha256(csv.data).hexdigest() == item["csv"]["sha256"]
    not_ready = api.get(f"/api/v1/statements/{waiting.id}.pdf")
    assert not_ready.status_code == 409 and _error(not_ready)["code"] == "not_ready"


def test_pages_by_cursor(api_as, finance_of_a):  # noqa: F811
    finance, ready, waiting = finance_of_a
    api = api_as(finance)
    first = api.get("/api/v1/statements?limit=1").get_json()
    assert [s["id"] for s in first["items"]] == [waiting.id] and first["next_cursor"]
    second = api.get(f"/api/v1/statements?limit=1&cursor={first['next_cursor']}").get_json()
    assert [s["id"] for s in second["items"]] == [ready.id] and second["next_cursor"] is None
    bad = api.get("/api/v1/statements?cursor=not-ours")
    assert bad.status_code == 400 and _error(bad)["field"] == "cursor"
    assert _error(api.get("/api/v1/statements?limit=0"))["field"] == "limit"


def test_a_session_reads_them_too(client, login, finance_of_a):
    finance, ready, _waiting = finance_of_a
    login(client, finance)
    assert client.get("/api/v1/statements").get_json()["items"][1]["id"] == ready.id
    assert client.get(f"/api/v1/statements/{ready.id}.csv").status_code == 200


def test_another_company_and_other_roles_are_refused_in_the_envelope(api_as, client, finance_of_a, make_user):  # noqa: F811
    finance, ready, waiting = finance_of_a
    stranger = api_as(make_user(role="owner"))
    assert stranger.get("/api/v1/statements").get_json() == {"items": [], "next_cursor": None}
    for url in (f"/api/v1/statements/{ready.id}.pdf", f"/api/v1/statements/{ready.id}.csv",
                f"/api/v1/statements/{waiting.id}.pdf"):
        response = stranger.get(url)
        assert response.status_code == 404 and _error(response)["code"] == "not_found", url
    buyer = api_as(make_user(role="buyer", company=finance.membership.company))
    for url in ("/api/v1/statements", f"/api/v1/statements/{ready.id}.pdf"):
        response = buyer.get(url)
        assert response.status_code == 403 and _error(response)["code"] == "forbidden", url
    staff = api_as(make_user(role=None, staff_role="finance_admin"))
    assert _error(staff.get("/api/v1/statements"))["code"] == "forbidden"
    anonymous = client.get(f"/api/v1/statements/{ready.id}.pdf")
    assert anonymous.status_code == 401 and _error(anonymous)["code"] == "unauthorized"
