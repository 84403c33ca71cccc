"""The finance pages for settlement and payouts, through the test client: who may see them,
a batch from chosen suppliers to paid, bad input, htmx fragments, lists in a fixed number
of queries."""
from __future__ import annotations

import pytest

from app.core import csvio
from app.extensions import db
from app.statements.settlement import Period
from app.statements.settlement_models import BatchStatus, PayoutBatch, SupplierBankAccount
from tests.statements.settlement_fixtures import at, books, payable, this_month  # noqa: F401

URLS = ["/finance/settlement", "/finance/settlement.csv", "/finance/payouts", "/finance/payouts.csv"]


def settled_period() -> Period:
    """A month that can be settled whatever the day: two months back."""
    return Period.month_before(Period.month_before(this_month().first).first)


@pytest.fixture
def finance(client, make_user, login):
    login(client, make_user(role=None, staff_role="finance_admin", language="en"))
    return client


@pytest.mark.parametrize("who", ["owner", "finance", "buyer", "agent", "ops"])
def test_only_platform_finance_and_admins_see_settlement(client, make_user, login, books, who):
    user = make_user(role=who) if who in ("owner", "finance", "buyer") else make_user(role=None, staff_role=who)
    login(client, user)
    batch_post = {"first": "2026-10-01", "last": "2026-10-31", "supplier_id": books.bonded.id}
    for url in URLS + [f"/finance/settlement/suppliers/{books.bonded.id}"]:
        assert client.get(url).status_code == 403, url
    assert client.post("/finance/payouts", data=batch_post).status_code == 403
    assert client.post(f"/finance/payouts/1/approve").status_code == 403
    assert db.session.query(PayoutBatch).count() == 0


def test_an_admin_sees_them(client, make_user, login):
    login(client, make_user(role=None, staff_role="admin"))
    assert [client.get(url).status_code for url in URLS] == [200] * 4


def test_a_batch_from_chosen_suppliers_to_paid_through_the_pages(finance, books):
    period = settled_period()
    books.paid([(books.shop.cny_offer.id, 1), (books.shop.usd_offer.id, 1)], at(period, days=4))
    month = {"month": f"{period.first:%Y-%m}"}
    page = finance.get("/finance/settlement", query_string=month).get_data(as_text=True)
    assert books.bonded.name in page and books.new_york.name in page and "Not settled" in page
    assert 'name="supplier_id"' in page, "a period that is over can be chosen for a batch"

    created = finance.post("/finance/payouts", data={"first": period.first.isoformat(), "last": period.last.isoformat(),
                                                     "supplier_id": [books.bonded.id, books.new_york.id]})
    assert created.status_code == 303
    batch = db.session.scalar(db.select(PayoutBatch))
    assert created.headers["Location"].endswith(f"/finance/payouts/{batch.id}")
    shown = finance.get(created.headers["Location"]).get_data(as_text=True)
    assert batch.number in shown and "Draft" in shown and "No bank details" in shown

    refused = finance.post(f"/finance/payouts/{batch.id}/approve", follow_redirects=True).get_data(as_text=True)
    assert "Add the bank details of" in refused and batch.status == BatchStatus.DRAFT
    for supplier in (books.bonded, books.new_york):
        saved = finance.post(f"/finance/settlement/suppliers/{supplier.id}/bank",
                             data={"account_name": f"  {supplier.name}\u3000", "bank_name": "Bank of China",
                                   "account_number": "6217 0000 9999 0001", "swift_bic": "BKCHCNBJ"})
        assert saved.status_code == 303
    assert finance.post(f"/finance/payouts/{batch.id}/approve").status_code == 303
    assert finance.post(f"/finance/payouts/{batch.id}/export").status_code == 303
    bank_file = finance.get(f"/finance/payouts/{batch.id}/bank-file.csv")
    assert bank_file.status_code == 200 and bank_file.headers["Content-Type"] == csvio.CONTENT_TYPE
    rows = list(csvio.read(bank_file.get_data(as_text=True)))
    assert {r[1] for r in rows[1:]} == {books.bonded.name, books.new_york.name}, "payee names, stripped"

    missing = finance.post(f"/finance/payouts/{batch.id}/paid", data={"bank_reference": "\u3000"})
    assert missing.status_code == 422 and "This field is required." in missing.get_data(as_text=True)
    db.session.refresh(batch)
    assert batch.status == BatchStatus.EXPORTED
    assert finance.post(f"/finance/payouts/{batch.id}/paid", data={"bank_reference": "CMB-9"}).status_code == 303
    db.session.refresh(batch)
    assert batch.status == BatchStatus.PAID and payable(books.bonded.id) == payable(books.new_york.id) == 0
    listed = finance.get("/finance/payouts.csv").get_data(as_text=True)
    assert batch.number in listed and "CMB-9" in listed
    again = finance.get("/finance/settlement", query_string=month).get_data(as_text=True)
    assert again.count('data-state="paid"') == 2 and 'name="supplier_id"' not in again


def test_settling_from_a_suppliers_page_then_its_statement(finance, books):
    period = settled_period()
    books.fee(books.paid([(books.shop.cny_offer.id, 2)], at(period, days=1)), at(period, days=1, hours=3))
    args = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    url = f"/finance/settlement/suppliers/{books.bonded.id}"
    assert "Settle this period" in finance.get(url, query_string=args).get_data(as_text=True)
    done = finance.post(f"{url}/confirm", data={"first": args["from"], "last": args["to"]})
    assert done.status_code == 303
    page = finance.get(done.headers["Location"]).get_data(as_text=True)
    assert "being made" in page and "Amount due" in page and "WeChat Pay fee" in page


def test_bad_input_is_explained_and_changes_nothing(finance, books):
    page = finance.get("/finance/settlement?month=2026-13")
    assert page.status_code == 200 and "Choose a month such as 2026-11." in page.get_data(as_text=True)
    backwards = finance.get("/finance/settlement?from=2026-11-20&to=2026-11-01").get_data(as_text=True)
    assert "The last day cannot be before the first." in backwards
    refused = finance.post(f"/finance/settlement/suppliers/{books.bonded.id}/bank",
                           data={"account_name": "A", "bank_name": "B", "account_number": "62170000123",
                                 "swift_bic": "NOT-A-BIC"})
    assert refused.status_code == 422 and "A SWIFT/BIC code has 8 or 11" in refused.get_data(as_text=True)
    assert db.session.query(SupplierBankAccount).count() == 0
    open_month = this_month()
    early = finance.post("/finance/payouts", data={"first": open_month.first.isoformat(),
                                                   "last": open_month.last.isoformat(), "supplier_id": books.bonded.id},
                         follow_redirects=True).get_data(as_text=True)
    assert "can be settled from 12:00" in early and db.session.query(PayoutBatch).count() == 0
    assert finance.post("/finance/payouts", data={"first": "x", "last": "2026-10-31"}).status_code == 400
    assert finance.get("/finance/payouts/999999").status_code == 404
    assert finance.get("/finance/settlement/suppliers/999999").status_code == 404


def test_chinese_by_default_and_htmx_gets_the_fragment(client, make_user, login, books):
    login(client, make_user(role=None, staff_role="finance_admin"))
    period = settled_period()
    books.paid([(books.shop.cny_offer.id, 1)], at(period))
    page = client.get("/finance/settlement", query_string={"month": f"{period.first:%Y-%m}"})
    html = page.get_data(as_text=True)
    assert "供应商结算" in html and "未结算" in html
    fragment = client.get("/finance/settlement", query_string={"month": f"{period.first:%Y-%m}"},
                          headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and 'id="settlement-rows"' in text and books.bonded.name in text
    assert "HX-Request" in fragment.headers["Vary"]


def test_the_lists_load_in_a_fixed_number_of_queries(finance, books, count_queries):
    period = settled_period()
    month = {"month": f"{period.first:%Y-%m}"}

    def queries() -> tuple[int, int]:
        with count_queries() as periods:
            assert finance.get("/finance/settlement", query_string=month).status_code == 200
        with count_queries() as batches:
            assert finance.get("/finance/payouts").status_code == 200
        return len(periods), len(batches)

    books.paid([(books.shop.cny_offer.id, 1)], at(period))
    from app.statements import payouts

    payouts.create_batch([books.bonded.id], period, actor_id=None)
    few = queries()
    for day in range(2, 6):
        books.paid([(books.shop.cny_offer.id, 1), (books.shop.usd_offer.id, 1)], at(period, days=day))
    payouts.create_batch([books.new_york.id], period, actor_id=None)
    assert queries() == few
