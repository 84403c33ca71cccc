"""The ledger's pages: every account's balance per party, each account's postings a page at a
time (and by day), as CSV too, in a fixed number of queries however much is booked."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app import ledger
from app.extensions import db
from app.ledger.models import LedgerAccount
from app.payments.gateway import BEIJING
from tests.orders.conftest import buyer, shop  # noqa: F401  (fixtures)
from tests.statements.test_reconciliation_pages import paid
from tests.statements.test_reconciliation import days_ago


@pytest.fixture
def finance(make_user, login, client):
    login(client, make_user(role=None, staff_role="finance_admin"))


def _account(code: str, party_type: str = "", party_id: int = 0) -> int:
    return db.session.scalar(select(LedgerAccount.id).where(
        LedgerAccount.code == code, LedgerAccount.party_type == party_type, LedgerAccount.party_id == party_id))


def _fees(n: int, start: datetime) -> None:
    """`n` fee entries an hour apart, as reconciliation books them."""
    ledger.post_many([ledger.Entry(f"wechat-fee:test-{start:%Y%m%d}-{i}", "wechat_fee",
                                   [ledger.Line(ledger.WECHAT_FEES, 10 + i), ledger.Line(ledger.CLEARING, -10 - i)],
                                   at=start + timedelta(hours=i)) for i in range(n)])


def test_balances_per_account_and_party_with_supplier_names(client, finance, db_session, shop, buyer):
    order, _, _ = paid(1, buyer, shop.usd_offer, days_ago(1))
    _fees(3, datetime.now(BEIJING) - timedelta(days=1))
    page = client.get("/finance/ledger").get_data(as_text=True)
    assert "微信支付待清算" in page and "应付供应商" in page and "微信支付手续费" in page
    assert shop.usd_offer.supplier.name in page, "a supplier's payable is named after the supplier"
    rows = _csv(client.get("/finance/ledger.csv", headers={"Accept-Language": "en"}))
    by_code = {(r[1], r[2]): r[3] for r in rows[1:]}
    assert by_code[(ledger.WECHAT_FEES, "")] == "0.33" and by_code[(ledger.CLEARING, "")] == \
        f"{(order.total_fen - 33) / 100:.2f}"
    assert sum(int(r[3].replace(".", "")) for r in rows[1:]) == 0, "the books balance"


def test_an_accounts_postings_page_by_page_and_by_day(client, finance, db_session):
    start = datetime(*days_ago(4).timetuple()[:3], 0, 30, tzinfo=BEIJING)
    _fees(60, start)   # two and a half days of hourly fees
    account_id = _account(ledger.WECHAT_FEES)
    first = client.get(f"/finance/ledger/accounts/{account_id}").get_data(as_text=True)
    assert first.count("data-posting=") == 50 and "更早的分录" in first
    newest = _ids(first)
    assert newest == sorted(newest, reverse=True)
    more = client.get(f"/finance/ledger/accounts/{account_id}?before={newest[-1]}", headers={"HX-Request": "true"})
    rest = _ids(more.get_data(as_text=True))
    assert len(rest) == 10 and max(rest) < min(newest) and "<html" not in more.get_data(as_text=True)
    day = start.date().isoformat()
    one_day = client.get(f"/finance/ledger/accounts/{account_id}?from={day}&to={day}").get_data(as_text=True)
    assert one_day.count("data-posting=") == 24
    rows = _csv(client.get(f"/finance/ledger/accounts/{account_id}.csv?from={day}&to={day}"))
    assert len(rows) == 25 and rows[0][4] == "借方（元）" and rows[1][4] == "0.33"
    assert client.get("/finance/ledger/accounts/2147483647").status_code == 404


def test_the_lists_take_a_fixed_number_of_queries(client, finance, db_session, count_queries, shop, buyer):
    def queries(url: str) -> int:
        with count_queries() as seen:
            assert client.get(url).status_code == 200
        return len(seen)

    paid(1, buyer, shop.cny_offer, days_ago(1))
    _fees(2, datetime.now(BEIJING) - timedelta(days=2))
    account_id = _account(ledger.WECHAT_FEES)
    few = (queries("/finance/ledger"), queries(f"/finance/ledger/accounts/{account_id}"))
    for n in range(2, 5):
        paid(n, buyer, shop.usd_offer if n % 2 else shop.cny_offer, days_ago(1))
    _fees(40, datetime.now(BEIJING) - timedelta(days=3))
    assert (queries("/finance/ledger"), queries(f"/finance/ledger/accounts/{account_id}")) == few


def _ids(html: str) -> list[int]:
    import re

    return [int(n) for n in re.findall(r'data-posting="(\d+)"', html)]


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.content_type == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
