"""Platform finance's reconciliation pages through the test client: who may see them, asking for
a day, resolving and re-querying exceptions (with htmx and without), and the CSV exports."""
from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app import ledger
from app.core.audit import AuditEntry
from app.core.jobs import Intent
from app.extensions import db
from app.orders import services
from app.payments import Attempt, TradeType
from app.payments import payments_of
from app.payments import services as pay
from app.payments.gateway import BEIJING, Bill, BillRow, BillSummary, BillType
from app.statements import reconciliation
from app.statements.recon_models import ExceptionStatus, Outcome, ReconException, ReconRun, RunStatus
from tests.orders.conftest import buyer, shop, wechat  # noqa: F401  (fixtures)
from tests.sandbox_fixtures import sandbox_server  # noqa: F401  (fixture)
from tests.statements.test_reconciliation import bill_ready, days_ago, paid_at_wechat, to_day

HTMX = {"HX-Request": "true"}


def paid(order_attempt_number: int, buyer, offer, day) -> tuple[object, str, str]:
    """An order paid on `day` as a notify records it: (order, out_trade_no, transaction id)."""
    order = services.create(buyer, buyer.company_id, [(offer.id, 1)])
    charge = services.charge_of(order)
    attempt = Attempt(charge_id=charge.id, out_trade_no=f"{charge.number}N1", trade_type=TradeType.NATIVE)
    db.session.add(attempt)
    db.session.flush()
    tid = f"4200{day:%Y%m%d}{order_attempt_number:016d}"
    at = datetime.combine(day, time(10), BEIJING) + timedelta(seconds=order_attempt_number)
    pay.apply(pay.Result(attempt.out_trade_no, tid, order.total_fen, order.total_fen, 0, None, "CNY", "NATIVE",
                         "OTHERS", "o-test", at, {}), "notify")
    return order, attempt.out_trade_no, tid


def row(at, tid: str, out_trade_no: str, fen: int) -> BillRow:
    fee = (fen * 6 + 500) // 1000
    return BillRow(at, "wx", "1900000109", tid, out_trade_no, "o-test", "NATIVE", "SUCCESS", "OTHERS", "CNY", "body",
                   "", "0.60%", fen, fee * 1000, fen)


def bill_of(day, rows: list[BillRow]) -> Bill:
    total = sum(r.total_fee for r in rows)
    return Bill(day, BillType.ALL, rows, BillSummary(len(rows), total, 0, sum(r.fee_1e5_yuan for r in rows), total, 0))


@pytest.fixture
def day_with_exceptions(db_session, shop, buyer):
    """A reconciled day: one payment matched, one billed for more, one missing at WeChat."""
    day = days_ago(2)
    found = [paid(n, buyer, shop.cny_offer, day) for n in (1, 2, 3)]
    rows = [row(datetime.combine(day, time(10, 0, 1), BEIJING), found[0][2], found[0][1], found[0][0].total_fen),
            row(datetime.combine(day, time(10, 0, 2), BEIJING), found[1][2], found[1][1], found[1][0].total_fen + 50)]
    run = reconciliation.reconcile(day, source=lambda _d: bill_of(day, rows), repair=False)
    return run, found


@pytest.fixture
def finance(make_user, login, client):
    user = make_user(role=None, staff_role="finance_admin")
    login(client, user)
    return user


def _exception(run, outcome: Outcome) -> ReconException:
    return db.session.scalar(select(ReconException).where(ReconException.run_id == run.id,
                                                          ReconException.outcome == outcome))


def test_a_buyer_or_operations_gets_no_finance_page(client, make_user, login, day_with_exceptions, new_client):
    run, _ = day_with_exceptions
    exception = _exception(run, Outcome.MISSING_REMOTE)
    account_id = db.session.scalar(select(func.min(ledger.models.LedgerAccount.id)))
    pages = ["/finance/reconciliation", "/finance/reconciliation.csv", f"/finance/reconciliation/{run.id}",
             f"/finance/reconciliation/{run.id}/summary", f"/finance/reconciliation/{run.id}/exceptions.csv",
             f"/finance/reconciliation/{run.id}/bill", "/finance/ledger", "/finance/ledger.csv",
             f"/finance/ledger/accounts/{account_id}", f"/finance/ledger/accounts/{account_id}.csv"]
    posts = ["/finance/reconciliation", f"/finance/reconciliation/{run.id}/run",
             f"/finance/reconciliation/exceptions/{exception.id}/resolve",
             f"/finance/reconciliation/exceptions/{exception.id}/requery"]
    for role, staff in (("owner", None), ("finance", None), (None, "ops"), (None, "agent")):
        browser = new_client()
        login(browser, make_user(role=role, staff_role=staff))
        for url in pages:
            assert browser.get(url).status_code == 403, (role, staff, url)
        for url in posts:
            assert browser.post(url, data={"day": days_ago(1).isoformat(), "note": "x"}).status_code == 403, url
    assert client.get("/finance/reconciliation").status_code == 302, "a visitor is sent to sign in"
    db.session.refresh(exception)
    assert exception.status == ExceptionStatus.OPEN and db.session.scalar(select(func.count()).select_from(ReconRun)) == 1


def test_finance_and_admin_see_the_run_and_an_unknown_one_is_not_found(client, finance, day_with_exceptions,
                                                                      make_user, login, new_client):
    run, _ = day_with_exceptions
    page = client.get(f"/finance/reconciliation/{run.id}?status=all").get_data(as_text=True)
    assert "金额不符" in page and "微信缺失" in page and "待处理" in page
    assert client.get("/finance/reconciliation/2147483647").status_code == 404
    assert client.get(f"/finance/reconciliation/{run.id}/bill").status_code == 404, "no bill was stored for it"
    admin = new_client()
    login(admin, make_user(role=None, staff_role="admin"))
    listing = admin.get("/finance/reconciliation", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert run.bill_date.isoformat() in listing


def test_asking_for_a_day_queues_one_run_and_bad_days_are_refused(client, finance, db_session):
    yesterday = days_ago(1)
    response = client.post("/finance/reconciliation", data={"day": yesterday.isoformat()})
    assert response.status_code == 303
    run = db_session.scalar(select(ReconRun).where(ReconRun.bill_date == yesterday))
    assert response.headers["Location"].endswith(f"/finance/reconciliation/{run.id}")
    assert run.status == RunStatus.QUEUED and run.requested_by_id == finance.id
    assert client.post("/finance/reconciliation", data={"day": yesterday.isoformat()}, headers=HTMX).status_code == 204
    assert db_session.scalar(select(func.count()).select_from(Intent).where(
        Intent.key.like(f"reconciliation:{yesterday.isoformat()}:%"))) == 1, "a waiting run is not asked for twice"
    for day, message in ((reconciliation.today().isoformat(), "今天之前"), (days_ago(93).isoformat(), "三个月"),
                         ("2026-02-30", "2026-01-31"), ("", "")):
        refused = client.post("/finance/reconciliation", data={"day": day})
        assert refused.status_code == 422 and message in refused.get_data(as_text=True), day
    assert db_session.scalar(select(func.count()).select_from(ReconRun)) == 1


def test_the_summary_follows_a_queued_run_and_reloads_the_page_when_it_is_done(client, finance, db_session):
    client.post("/finance/reconciliation", data={"day": days_ago(1).isoformat()})
    run = db_session.scalar(select(ReconRun))
    waiting = client.get(f"/finance/reconciliation/{run.id}/summary", headers=HTMX)
    assert 'hx-trigger="every 2s"' in waiting.get_data(as_text=True) and "HX-Refresh" not in waiting.headers
    assert "<html" not in waiting.get_data(as_text=True)
    reconciliation.reconcile(run.bill_date, source=lambda _d: None)
    done = client.get(f"/finance/reconciliation/{run.id}/summary", headers=HTMX)
    assert done.headers["HX-Refresh"] == "true"
    assert "微信支付没有这一天的账单" in client.get(f"/finance/reconciliation/{run.id}").get_data(as_text=True)


def test_resolving_needs_a_note_and_is_kept_with_who_and_when(client, finance, day_with_exceptions, db_session):
    run, _ = day_with_exceptions
    exception = _exception(run, Outcome.AMOUNT_MISMATCH)
    url = f"/finance/reconciliation/exceptions/{exception.id}/resolve"
    blank = client.post(url, data={"note": "\u3000 "}, headers=HTMX)
    assert blank.status_code == 422 and "请说明处理方式" in blank.get_data(as_text=True)
    assert f'id="exception-{exception.id}"' in blank.get_data(as_text=True)
    plain = client.post(url, data={"note": ""})
    assert plain.status_code == 422 and "<html" in plain.get_data(as_text=True), "without htmx: the page, with the error"
    db_session.refresh(exception)
    assert exception.status == ExceptionStatus.OPEN

    done = client.post(url, data={"note": "WeChat billed 0.50 too much; ticket 4711 with WeChat Pay."})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"#exception-{exception.id}")
    db_session.refresh(exception)
    assert (exception.status, exception.resolved_by_id) == (ExceptionStatus.RESOLVED, finance.id)
    [entry] = db_session.scalars(select(AuditEntry).where(AuditEntry.subject_type == "reconciliation_exceptions",
                                                          AuditEntry.subject_id == exception.id)).all()
    assert (entry.actor_id, entry.to_state, entry.note) == (finance.id, "resolved", exception.note)
    db_session.refresh(run)
    assert run.open_exceptions == 1
    again = client.post(url, data={"note": "twice"}, headers=HTMX)
    assert again.status_code == 409 and "已处理" in again.get_data(as_text=True)


def test_a_requery_records_the_payment_wechat_confirms(client, finance, db_session, shop, buyer, wechat):
    day = days_ago(2)
    to_day(wechat, day)
    order, attempt = paid_at_wechat(wechat, buyer, shop.cny_offer)
    bill_ready(wechat, day)
    run = reconciliation.reconcile(day, repair=False)   # the morning job could not ask: left open
    exception = _exception(run, Outcome.MISSING_HERE)
    assert exception.status == ExceptionStatus.OPEN and not payments_of(attempt.charge_id)

    answer = client.post(f"/finance/reconciliation/exceptions/{exception.id}/requery", headers=HTMX)

    assert answer.status_code == 200 and "已再次查询微信支付" in answer.get_data(as_text=True)
    db_session.refresh(exception)
    assert (exception.status, exception.finding) == (ExceptionStatus.REPAIRED, "wechat_paid")
    [payment] = payments_of(attempt.charge_id)
    assert payment.transaction_id == exception.transaction_id
    assert ledger.entry(f"wechat-fee:{payment.transaction_id}").order_id == order.id
    assert db_session.scalar(select(AuditEntry.action).where(
        AuditEntry.subject_type == "reconciliation_exceptions", AuditEntry.subject_id == exception.id,
        AuditEntry.actor_id == finance.id, AuditEntry.action == "requery")) == "requery"
    db_session.refresh(run)
    assert (run.repaired, run.open_exceptions) == (1, 0)
    settled = client.post(f"/finance/reconciliation/exceptions/{exception.id}/requery")
    assert settled.status_code == 303, "without htmx: back to the run, with the refusal flashed"
    assert "此差异已处理" in client.get(settled.headers["Location"]).get_data(as_text=True)


def test_every_list_downloads_as_csv_in_the_readers_language(client, finance, day_with_exceptions):
    run, found = day_with_exceptions
    runs = _csv(client.get("/finance/reconciliation.csv"))
    assert runs[0][0] == "账单日期" and runs[1][0] == run.bill_date.isoformat() and runs[1][2] == "2"
    exceptions = _csv(client.get(f"/finance/reconciliation/{run.id}/exceptions.csv?status=all"))
    assert {r[1] for r in exceptions[1:]} == {"金额不符", "微信缺失"}
    mismatch = next(r for r in exceptions[1:] if r[1] == "金额不符")
    assert (mismatch[3], mismatch[7], mismatch[8]) == (found[1][2], f"{found[1][0].total_fen / 100:.2f}",
                                                      f"{(found[1][0].total_fen + 50) / 100:.2f}")
    assert len(_csv(client.get(f"/finance/reconciliation/{run.id}/exceptions.csv"))) == 3, "the open ones by default"


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.content_type == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_runs_and_a_runs_exceptions_load_in_a_fixed_number_of_queries(client, finance, db_session, shop, buyer,
                                                                          count_queries):
    def queries(url: str) -> int:
        with count_queries() as seen:
            assert client.get(url).status_code == 200
        return len(seen)

    def day_with(n: int, day):
        found = [paid(100 * n + k, buyer, shop.cny_offer, day) for k in range(n)]
        return reconciliation.reconcile(day, source=lambda _d: bill_of(day, []), repair=False), found

    small, _ = day_with(1, days_ago(3))
    few = (queries("/finance/reconciliation"), queries(f"/finance/reconciliation/{small.id}"))
    large, _ = day_with(6, days_ago(4))
    for n in range(5, 9):
        reconciliation.reconcile(days_ago(n), source=lambda _d: None, repair=False)
    assert large.missing_remote == 6
    assert (queries("/finance/reconciliation"), queries(f"/finance/reconciliation/{large.id}")) == few
