"""The daily reconciliation against the WeChat Pay simulator over HTTP, on PostgreSQL: a day with
matched, missing-here (repaired), missing-at-WeChat and mismatched rows, run twice; a refund
billed on another day than its payment; a day without a bill; WeChat's fee in the ledger."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import ledger
from app.ledger.models import JournalEntry
from app.orders import aftersale, services
from app.orders.models import Order, OrderState
from app.payments import TradeType, prepay
from app.payments import refunds as money_back
from app.payments import payments_of
from app.payments import services as pay
from app.payments.gateway import BEIJING
from app.payments.models import Payment, Refund, RefundStatus
from app.statements import reconciliation
from app.statements.recon_models import ExceptionStatus, Outcome, ReconException, ReconRun, RunStatus
from tests.orders.conftest import buyer, shop, wechat  # noqa: F401  (fixtures)
from tests.sandbox_fixtures import sandbox_server  # noqa: F401  (fixture)


# --------------------------------------------------------------------------- the sandbox's days

def to_day(sandbox, day: date, at: str = "12:00") -> None:
    """Set the simulator's clock to `at` on `day` (Beijing): its trades happen then."""
    hours, minutes = map(int, at.split(":"))
    target = datetime(day.year, day.month, day.day, hours, minutes, tzinfo=BEIJING)
    sandbox.sandbox.shift_clock(target.timestamp() - sandbox.sandbox.now())


def bill_ready(sandbox, day: date) -> None:
    """The morning after `day`, once WeChat has made its bill."""
    to_day(sandbox, day + timedelta(days=1), "09:30")


def days_ago(n: int) -> date:
    return reconciliation.today() - timedelta(days=n)


# --------------------------------------------------------------------------- buying and paying

def paid_at_wechat(sandbox, buyer, offer, quantity: int = 1) -> tuple[Order, object]:
    """An order the payer paid at WeChat; no notify reaches us (nothing recorded yet)."""
    order = services.create(buyer, buyer.company_id, [(offer.id, quantity)])
    attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
    result = sandbox.control("POST", "_sandbox/pay", json={"code_url": attempt.code_url}).json()
    assert result["trade_state"] == "SUCCESS", result
    return order, attempt


def recorded(sandbox, buyer, offer, quantity: int = 1) -> tuple[Order, object]:
    """An order paid at WeChat and recorded here, as our polling does."""
    order, attempt = paid_at_wechat(sandbox, buyer, offer, quantity)
    assert pay.query(attempt, "poll").is_paid
    return order, attempt


def transaction_of(order: Order) -> str:
    return next(p.transaction_id for p in payments_of(services.charge_of(order).id))


def refunded(order: Order, buyer, sandbox, *, settle_here: bool) -> Refund:
    """The whole order refunded: approved, sent and settled at WeChat; here too if `settle_here`."""
    refund = aftersale.request_refund(order, reason="damaged", requested_by_id=buyer.id)
    aftersale.decide(order, refund.id, approve=True, actor_id=buyer.id)
    assert money_back.send(refund.id) == "processing"
    sandbox.wait_for(lambda: sandbox.call("pay/refundquery", {"out_refund_no": refund.out_refund_no})
                     .get("refund_status_0") == "SUCCESS")
    if settle_here:
        assert money_back.check(refund.id) == "succeeded"
    return refund


# --------------------------------------------------------------------------- what a run left

def exceptions(run: ReconRun) -> dict[str, tuple[Outcome, ExceptionStatus]]:
    return {e.key: (e.outcome, e.status) for e in reconciliation_exceptions(run)}


def reconciliation_exceptions(run: ReconRun) -> list[ReconException]:
    from app.extensions import db

    return list(db.session.scalars(select(ReconException).where(ReconException.run_id == run.id)
                                   .order_by(ReconException.id)))


def counts(run: ReconRun) -> dict[str, int]:
    names = ("rows", "matched", "missing_here", "repaired", "missing_remote", "amount_mismatch", "state_mismatch",
             "open_exceptions", "bill_count", "bill_paid_fen", "bill_refund_fen", "bill_fee_1e5_yuan", "our_count",
             "our_paid_fen", "our_refund_fen", "our_fee_fen")
    return {name: getattr(run, name) for name in names}


def fee_entries(db_session) -> dict[str, JournalEntry]:
    return {e.event_key: e for e in db_session.scalars(select(JournalEntry).where(
        JournalEntry.kind.in_(["wechat_fee", "wechat_fee_refund"])))}


def fee(fen: int) -> int:
    """WeChat's 0.6%, rounded half up to the fen (as the simulator, like WeChat, charges it)."""
    return (fen * 6 + 500) // 1000


# --------------------------------------------------------------------------- tests

def test_a_day_with_every_outcome_and_the_same_result_when_run_again(db_session, shop, buyer, wechat):
    day = days_ago(2)
    to_day(wechat, day)
    matched, _ = recorded(wechat, buyer, shop.cny_offer)
    missed, missed_attempt = paid_at_wechat(wechat, buyer, shop.cny_offer, 2)
    unbilled, _ = recorded(wechat, buyer, shop.usd_offer)
    misbilled, _ = recorded(wechat, buyer, shop.cny_offer, 3)
    refunded_order, _ = recorded(wechat, buyer, shop.usd_offer, 2)
    refund = refunded(refunded_order, buyer, wechat, settle_here=False)
    wechat.control("POST", "_sandbox/bill/adjust", json={"out_trade_no": _number(unbilled), "omit": True})
    wechat.control("POST", "_sandbox/bill/adjust", json={"out_trade_no": _number(misbilled),
                                                         "amount_fen": misbilled.total_fen + 100})
    bill_ready(wechat, day)

    run = reconciliation.reconcile(day)

    assert run.status == RunStatus.DONE and not run.no_bill and run.bill_sha256
    tid = {o: transaction_of(o) for o in (matched, missed, unbilled, misbilled, refunded_order)}
    assert exceptions(run) == {
        tid[missed]: (Outcome.MISSING_HERE, ExceptionStatus.REPAIRED),
        tid[unbilled]: (Outcome.MISSING_REMOTE, ExceptionStatus.OPEN),
        tid[misbilled]: (Outcome.AMOUNT_MISMATCH, ExceptionStatus.OPEN),
        refund.out_refund_no: (Outcome.STATE_MISMATCH, ExceptionStatus.REPAIRED),
    }
    # The payment WeChat confirmed is recorded as a notify would record it: the order is paid.
    db_session.refresh(missed)
    assert missed.state == OrderState.PAID
    [payment] = payments_of(missed_attempt.charge_id)
    assert payment.received_via == "query" and payment.total_fee == missed.total_fen
    # The refund WeChat settled is settled here, through the refund's own check.
    assert db_session.get(Refund, refund.id).status == RefundStatus.SUCCEEDED
    billed_paid = matched.total_fen + missed.total_fen + misbilled.total_fen + 100 + refunded_order.total_fen
    ours_paid = billed_paid - 100 + unbilled.total_fen
    fees = [fee(matched.total_fen), fee(missed.total_fen), fee(misbilled.total_fen + 100),
            fee(refunded_order.total_fen), -fee(refund.amount_fen)]
    assert counts(run) == {
        "rows": 5, "matched": 2, "missing_here": 1, "repaired": 2, "missing_remote": 1, "amount_mismatch": 1,
        "state_mismatch": 1, "open_exceptions": 2, "bill_count": 5, "bill_paid_fen": billed_paid,
        "bill_refund_fen": refund.amount_fen, "bill_fee_1e5_yuan": sum(fees) * 1000, "our_count": 6,
        "our_paid_fen": ours_paid, "our_refund_fen": refund.amount_fen, "our_fee_fen": sum(fees)}

    before = (counts(run), exceptions(run), set(fee_entries(db_session)), _entries(db_session),
              _payments(db_session))
    again = reconciliation.reconcile(day)
    assert again.id == run.id and again.runs == 2
    assert (counts(again), exceptions(again), set(fee_entries(db_session)), _entries(db_session),
            _payments(db_session)) == before, "running a day twice changes nothing"


def _number(order: Order) -> str:
    from app.payments import out_trade_no

    return out_trade_no(services.charge_of(order))


def _entries(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(JournalEntry))


def _payments(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Payment))


def test_wechats_fee_is_booked_once_per_trade_against_clearing_with_its_order(db_session, shop, buyer, wechat):
    day = days_ago(3)
    to_day(wechat, day)
    order, _ = recorded(wechat, buyer, shop.usd_offer, 2)
    refund = refunded(order, buyer, wechat, settle_here=True)
    bill_ready(wechat, day)
    reconciliation.reconcile(day)

    entries = fee_entries(db_session)
    assert set(entries) == {f"wechat-fee:{transaction_of(order)}", f"wechat-fee-refund:{refund.out_refund_no}"}
    assert {key: entry.kind for key, entry in entries.items()} == {
        f"wechat-fee:{transaction_of(order)}": "wechat_fee", f"wechat-fee-refund:{refund.out_refund_no}": "wechat_fee_refund"}
    for key, entry in entries.items():
        assert (entry.order_id, entry.company_id) == (order.id, order.company_id), key
        assert sum(p.amount_fen for p in entry.postings) == 0, "every entry balances"
    taken = {p.account.code: p.amount_fen for p in entries[f"wechat-fee:{transaction_of(order)}"].postings}
    assert taken == {ledger.WECHAT_FEES: fee(order.total_fen), ledger.CLEARING: -fee(order.total_fen)}
    back = {p.account.code: p.amount_fen for p in entries[f"wechat-fee-refund:{refund.out_refund_no}"].postings}
    assert back == {ledger.CLEARING: fee(refund.amount_fen), ledger.WECHAT_FEES: -fee(refund.amount_fen)}
    assert ledger.balance(ledger.WECHAT_FEES) == fee(order.total_fen) - fee(refund.amount_fen)
    assert ledger.trial_balance() == 0


def test_a_refund_is_matched_in_the_bill_of_the_day_wechat_processed_it(db_session, shop, buyer, wechat):
    paid_day, refund_day = days_ago(5), days_ago(4)
    to_day(wechat, paid_day, "23:00")
    order, _ = recorded(wechat, buyer, shop.cny_offer)
    to_day(wechat, refund_day, "08:00")
    refund = refunded(order, buyer, wechat, settle_here=True)
    bill_ready(wechat, refund_day)

    first = reconciliation.reconcile(paid_day)
    second = reconciliation.reconcile(refund_day)

    assert (first.rows, first.matched, first.open_exceptions) == (1, 1, 0)
    assert (second.rows, second.matched, second.open_exceptions) == (1, 1, 0)
    assert (second.our_refund_fen, second.bill_refund_fen, second.our_paid_fen) == (refund.amount_fen,) * 2 + (0,)
    assert ledger.entry(f"wechat-fee-refund:{refund.out_refund_no}") is not None


def test_a_day_without_trades_is_a_normal_empty_run(db_session, wechat):
    day = days_ago(6)
    bill_ready(wechat, day)
    run = reconciliation.reconcile(day)
    assert (run.status, run.no_bill, run.rows, run.open_exceptions, run.bill_key) == (RunStatus.DONE, True, 0, 0, None)
    assert reconciliation.reconcile(day).runs == 2


def test_days_wechat_has_no_bill_for_are_refused(db_session):
    from app.core.errors import DomainError

    for day in (reconciliation.today(), days_ago(93)):
        with pytest.raises(DomainError):
            reconciliation.reconcile(day)
    assert db_session.scalar(select(func.count()).select_from(ReconRun)) == 0


def test_trades_we_recorded_on_a_day_wechat_has_no_bill_for_are_missing_at_wechat(db_session, shop, buyer, wechat):
    from sqlalchemy import update

    from app.core.audit import AuditEntry

    day = days_ago(7)
    to_day(wechat, day)
    order, _ = recorded(wechat, buyer, shop.cny_offer)
    refund = aftersale.request_refund(order, reason="damaged", requested_by_id=buyer.id)
    aftersale.decide(order, refund.id, approve=True, actor_id=buyer.id)
    assert money_back.send(refund.id) == "processing"
    # WeChat accepted the refund on that day too, by our clock.
    db_session.execute(update(AuditEntry).where(AuditEntry.subject_type == "refunds", AuditEntry.subject_id == refund.id)
                       .values(at=datetime(day.year, day.month, day.day, 12, 5, tzinfo=BEIJING)))
    wechat.control("POST", "_sandbox/reset")   # a WeChat that knows none of it
    bill_ready(wechat, days_ago(7))

    run = reconciliation.reconcile(day)

    assert run.no_bill and run.rows == 0
    assert exceptions(run) == {transaction_of(order): (Outcome.MISSING_REMOTE, ExceptionStatus.OPEN),
                               refund.out_refund_no: (Outcome.MISSING_REMOTE, ExceptionStatus.OPEN)}
    assert {e.finding for e in reconciliation_exceptions(run)} == {"wechat_unknown"}
    assert (run.our_count, run.our_paid_fen, run.our_refund_fen) == (2, order.total_fen, refund.amount_fen)


def test_a_payment_billed_the_next_day_closes_the_day_befores_exception(db_session, shop, buyer, wechat):
    from sqlalchemy import update

    day, next_day = days_ago(9), days_ago(8)
    to_day(wechat, next_day, "00:00")
    order, _ = recorded(wechat, buyer, shop.cny_offer)
    tid = transaction_of(order)
    # Recorded with our own clock, a few seconds before WeChat's midnight.
    db_session.execute(update(Payment).where(Payment.transaction_id == tid).values(
        paid_at=datetime(day.year, day.month, day.day, 23, 59, 50, tzinfo=BEIJING)))
    bill_ready(wechat, next_day)

    before = reconciliation.reconcile(day)
    assert exceptions(before) == {tid: (Outcome.MISSING_REMOTE, ExceptionStatus.OPEN)}
    assert reconciliation_exceptions(before)[0].finding == "wechat_paid", "WeChat has it: a query says so"
    after = reconciliation.reconcile(next_day)
    assert (after.rows, after.matched) == (1, 1)
    db_session.refresh(before)
    [closed] = reconciliation_exceptions(before)
    assert (closed.status, closed.finding, closed.finding_detail) == (
        ExceptionStatus.RESOLVED, "billed_another_day", next_day.isoformat())
    assert before.open_exceptions == 0 and before.missing_remote == 1


def test_a_days_fees_are_booked_in_one_go_once_each_and_never_unbalanced(db_session):
    at = datetime.now(BEIJING)
    fees = [ledger.Entry(f"wechat-fee:test-{i}", "wechat_fee",
                         [ledger.Line(ledger.WECHAT_FEES, i), ledger.Line(ledger.CLEARING, -i)], order_id=i, at=at)
            for i in range(1, 2001)]
    assert ledger.post_many(fees + fees[:10]) == 2000
    assert ledger.post_many(fees) == 0, "booked once, however often a day is run"
    assert ledger.balance(ledger.WECHAT_FEES) == sum(range(1, 2001)) and ledger.trial_balance() == 0
    lopsided = [ledger.Entry("wechat-fee:new", "wechat_fee", [ledger.Line(ledger.WECHAT_FEES, 5)]), fees[0]]
    with pytest.raises(ledger.Unbalanced):
        ledger.post_many([ledger.Entry("wechat-fee:fine", "wechat_fee", [])] + lopsided)
    assert ledger.entry("wechat-fee:fine") is None and ledger.entry("wechat-fee:new") is None
