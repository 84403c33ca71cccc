"""Reconciliation outside a request: the morning job with a real RQ worker against the simulator,
and `flask --app wsgi reconcile YYYYMMDD`."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.orders.models import Order, OrderState
from app.statements import reconciliation, reconciliation_jobs
from app.statements.recon_models import ExceptionStatus, ReconException, ReconRun, RunStatus
from tests.orders.conftest import build_shop, buyer, make_consignee, shop, wechat, wechat_config  # noqa: F401
from tests.sandbox_fixtures import sandbox_server  # noqa: F401  (fixture)
from tests.statements.test_reconciliation import bill_ready, days_ago, paid_at_wechat, recorded, to_day
from tests.workers import run_worker, stop_process


def test_the_morning_job_asks_for_recent_days_and_a_worker_reconciles_them(app, committed, wechat, queue_name,
                                                                          redis_url, tmp_path):
    shop = build_shop(db.session)
    user = committed.user(role="owner")
    make_consignee(user)
    day = days_ago(2)
    to_day(wechat, day)
    order, _ = paid_at_wechat(wechat, user, shop.cny_offer)   # its notify never came
    db.session.commit()
    order_id = order.id
    to_day(wechat, reconciliation.today(), "09:30")

    assert reconciliation_jobs.reconcile_recent_days() == reconciliation_jobs.CATCH_UP_DAYS
    assert reconciliation_jobs.reconcile_recent_days() == 0, "days already asked for are not asked for again"
    env = {k: str(v) for k, v in wechat_config(wechat.url, "http://127.0.0.1:9", str(tmp_path)).items()}
    worker = run_worker(redis_url, queue_name, burst=True, FILES_DIR=str(tmp_path / "files"), **env)
    try:
        worker.wait(timeout=120)
    finally:
        log = stop_process(worker)

    db.session.expire_all()
    runs = {r.bill_date: r for r in db.session.scalars(select(ReconRun))}
    assert {r.status for r in runs.values()} == {RunStatus.DONE}, log
    assert sorted(runs) == [days_ago(n) for n in range(7, 0, -1)]
    run = runs[day]
    assert (run.rows, run.missing_here, run.repaired, run.open_exceptions) == (1, 1, 1, 0), log
    assert sum(r.no_bill for r in runs.values()) == 6, "the other days had no trade: empty runs"
    assert db.session.get(Order, order_id).state == OrderState.PAID, "the worker recorded what WeChat confirmed"
    assert (tmp_path / "files" / run.bill_key).read_bytes().decode().startswith("交易时间,公众账号ID")


def test_the_command_prints_the_runs_counts(app, db_session, shop, buyer, wechat):
    day = days_ago(3)
    to_day(wechat, day)
    recorded(wechat, buyer, shop.cny_offer)
    paid_at_wechat(wechat, buyer, shop.usd_offer)
    bill_ready(wechat, day)
    runner = app.test_cli_runner()

    result = runner.invoke(args=["reconcile", f"{day:%Y%m%d}"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{day.isoformat()}: 2 rows: 1 matched, 1 missing here (1 repaired), "
                                    "0 missing at WeChat, 0 amount mismatches, 0 state mismatches; 0 open.")
    run = db_session.scalar(select(ReconRun).where(ReconRun.bill_date == day))
    assert [e.status for e in db_session.scalars(select(ReconException))] == [ExceptionStatus.REPAIRED]
    assert runner.invoke(args=["reconcile", f"{day:%Y%m%d}"]).output == result.output, "a second run: the same"
    db_session.refresh(run)
    assert run.runs == 2


def test_the_command_refuses_days_without_a_bill_and_says_so(app, db_session, wechat):
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["reconcile", "2026-01-31"])
    assert bad.exit_code == 2 and "YYYYMMDD" in bad.output
    today = runner.invoke(args=["reconcile", f"{reconciliation.today():%Y%m%d}"])
    assert today.exit_code == 1 and "09:00" in today.output
    empty_day = days_ago(4)
    bill_ready(wechat, empty_day)
    empty = runner.invoke(args=["reconcile", f"{empty_day:%Y%m%d}"])
    assert empty.exit_code == 0 and "no bill (no trades that day); 0 rows" in empty.output
    wechat.control("POST", "_sandbox/faults", json={"error_rate": 1})
    down = runner.invoke(args=["reconcile", f"{days_ago(5):%Y%m%d}"])
    assert down.exit_code == 1 and "not answering" in down.output
    assert db_session.scalar(select(ReconRun.status).where(ReconRun.bill_date == days_ago(5))) is None, \
        "nothing is kept of a run WeChat did not answer: the job tries again"
