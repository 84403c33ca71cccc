"""When WeChat's notify is late or lost: polling, expiry, closing races, a second payment,
a killed worker and a Redis outage; money is recorded exactly once in every case."""
from __future__ import annotations

from datetime import timedelta

from redis import Redis
from rq import Queue
from sqlalchemy import func, select, update

from app import ledger
from app.core import jobs as core_jobs
from app.core.jobs import Intent, IntentStatus
from app.core.models import utcnow
from app.extensions import db
from app.ledger.models import JournalEntry
from app.notifications.models import SmsMessage, SmsStatus
from app.orders import services
from app.orders.models import Order, OrderState
from app.payments import TradeType, prepay
from app.payments import payments_of
from app.payments import services as pay
from app.payments.models import Attempt, AttemptStatus, Charge, ChargeStatus, Payment, Refund, RefundStatus
from tests.orders.conftest import build_shop, make_consignee, wechat_config
from tests.orders.test_payment_notify import NOTIFY, answer, notify_body
from tests.workers import run_worker, stop_process, wait_until


def _pay_on_phone(wechat, attempt: Attempt) -> str:
    key = {"code_url": attempt.code_url} if attempt.code_url else {"prepay_id": attempt.prepay_id}
    result = wechat.control("POST", "_sandbox/pay", json=key).json()
    assert result["trade_state"] == "SUCCESS", result
    return result["transaction_id"]


def _intent(key: str) -> Intent:
    return db.session.scalar(select(Intent).where(Intent.key == key))


def _run(key: str) -> str:
    """Run a promised task now, as a worker would once it is due; its error if it failed."""
    db.session.execute(update(Intent).where(Intent.key == key).values(run_after=utcnow() - timedelta(seconds=1)))
    outcome = core_jobs.run(_intent(key).id)
    if outcome != "done":
        db.session.expire_all()
        return f"{outcome}: {_intent(key).last_error}"
    return outcome


def _older(attempt: Attempt, wechat, minutes: int = 6) -> None:
    """Let six minutes pass for the attempt, here and at WeChat (it closes no order younger than five)."""
    db.session.execute(update(Attempt).where(Attempt.id == attempt.id)
                       .values(created_at=utcnow() - timedelta(minutes=minutes)))
    db.session.expire_all()
    wechat.control("POST", "_sandbox/clock", json={"shift_seconds": minutes * 60})


def _expire(order: Order) -> None:
    past = utcnow() - timedelta(seconds=5)
    db.session.execute(update(Order).where(Order.id == order.id).values(expires_at=past))
    db.session.execute(update(Charge).where(Charge.owner_id == order.id).values(expires_at=past))
    db.session.expire_all()


def test_polling_records_a_payment_whose_notify_was_dropped_by_a_real_worker(app, committed, wechat, queue_name,
                                                                              redis_url, tmp_path):
    wechat.control("POST", "_sandbox/faults", json={"notify": "drop"})
    shop = build_shop(db.session)
    user = committed.user(role="owner")
    make_consignee(user)
    order = services.create(user, user.company_id, [(shop.usd_offer.id, 1)])
    attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
    db.session.commit()
    order_id = order.id
    _pay_on_phone(wechat, attempt)
    env = {k: str(v) for k, v in wechat_config(wechat.url, "http://127.0.0.1:9", str(tmp_path)).items()}
    worker = run_worker(redis_url, queue_name, scheduler=True, burst=False, **env)
    try:
        paid = wait_until(lambda: db.session.scalar(select(Order.state).where(Order.id == order_id)
                                                    .execution_options(populate_existing=True)) == OrderState.PAID,
                          timeout=60, every=0.2)
    finally:
        log = stop_process(worker)
    assert paid, log
    [payment] = db.session.scalars(select(Payment)).all()
    assert payment.received_via == "query" and payment.total_fee == order.total_fen
    assert sorted(db.session.scalars(select(JournalEntry.kind))) == ["charge", "payment"], "booked once"


def test_expiry_closes_the_order_with_wechat_first(app, db_session, shop, buyer, wechat):
    order = services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 1)])
    attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
    _older(attempt, wechat)
    _expire(order)
    assert _run(f"charge-expiry:{attempt.charge_id}") == "done"
    db_session.refresh(order)
    assert order.state == OrderState.CLOSED and order.close_reason == "expired"
    assert db_session.get(Attempt, attempt.id).status == AttemptStatus.CLOSED
    assert wechat.call("pay/orderquery", {"out_trade_no": attempt.out_trade_no})["trade_state"] == "CLOSED"


def test_a_cancel_in_the_first_five_minutes_waits_for_wechat_and_takes_no_more_payment(
        app, db_session, shop, buyer, wechat):
    from app.core.errors import DomainError

    order = services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 1)])
    attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
    assert services.cancel(order, buyer.id) == "closing"
    db_session.refresh(order)
    assert order.state == OrderState.PENDING_PAYMENT
    try:
        prepay(services.charge_of(order), TradeType.MWEB, client_ip="203.0.113.7")
        raise AssertionError("a closing order took a new prepay")
    except DomainError as e:
        assert e.code == "closed"
    closing = _intent(f"charge-close:{attempt.charge_id}")
    assert closing.run_after >= attempt.created_at + timedelta(minutes=5) - timedelta(seconds=1)
    _older(attempt, wechat)
    assert _run(f"charge-close:{attempt.charge_id}") == "done"
    db_session.refresh(order)
    assert order.state == OrderState.CLOSED and order.close_reason == "cancelled"


def test_a_payment_that_beat_the_close_wins(app, db_session, shop, buyer, wechat):
    wechat.control("POST", "_sandbox/faults", json={"notify": "drop"})
    order = services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 1)])
    attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
    _pay_on_phone(wechat, attempt)
    _older(attempt, wechat)
    assert services.cancel(db_session.get(Order, order.id), buyer.id) == "paid"
    db_session.refresh(order)
    assert order.state == OrderState.PAID and len(payments_of(attempt.charge_id)) == 1


def test_a_close_after_the_payment_changes_nothing(client, app, db_session, shop, buyer, wechat):
    order = services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 1)])
    attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
    assert answer(client.post(NOTIFY, data=notify_body(attempt.out_trade_no, order.total_fen),
                              content_type="text/xml", csrf=False)) == "SUCCESS"
    _expire(order)
    assert _run(f"charge-expiry:{attempt.charge_id}") == "done"
    db_session.refresh(order)
    assert order.state == OrderState.PAID and db_session.get(Charge, attempt.charge_id).status == ChargeStatus.PAID


def test_a_second_payment_from_another_device_is_refunded_automatically(app, db_session, shop, buyer, wechat):
    wechat.control("POST", "_sandbox/faults", json={"notify": "drop"})
    order = services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 1)])
    charge = services.charge_of(order)
    qr = prepay(charge, TradeType.NATIVE, client_ip="203.0.113.7")
    h5 = prepay(charge, TradeType.MWEB, client_ip="203.0.113.8",
                scene_info={"h5_info": {"type": "Wap", "wap_url": "https://kj.example", "wap_name": "Kuajing"}})
    assert qr.out_trade_no != h5.out_trade_no
    _pay_on_phone(wechat, qr)
    second = _pay_on_phone(wechat, h5)
    pay.query(qr, "poll")
    pay.query(h5, "poll")
    db_session.refresh(order)
    assert order.state == OrderState.PAID
    payments = payments_of(charge.id)
    assert [p.extra for p in payments] == [False, True] and payments[1].transaction_id == second
    [refund] = db_session.scalars(select(Refund)).all()
    assert refund.automatic and refund.amount_fen == order.total_fen and refund.status == RefundStatus.APPROVED
    from app.payments import refunds

    assert refunds.send(refund.id) == "processing"
    owed = lambda: ledger.balance(ledger.CUSTOMER, ledger.COMPANY, order.company_id)  # noqa: E731
    assert owed() == -order.total_fen, "owed back to the company until WeChat confirms"
    assert wait_until(lambda: _settled(refund.id), timeout=20, every=0.2)
    assert owed() == 0
    assert ledger.balance(ledger.CLEARING) == order.total_fen and ledger.trial_balance() == 0


def _settled(refund_id: int) -> bool:
    from app.core.jobs import RetryLater
    from app.payments import refunds

    try:
        return refunds.check(refund_id) == "succeeded"
    except RetryLater:
        return False


def test_a_poll_whose_worker_died_is_swept_and_pays_once(app, db_session, shop, buyer, wechat):
    wechat.control("POST", "_sandbox/faults", json={"notify": "drop"})
    order = services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 1)])
    attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
    _pay_on_phone(wechat, attempt)
    key = f"poll:{attempt.id}:1"
    # A worker claimed the poll and died mid-run: its transaction is gone, the claim stays.
    db_session.execute(update(Intent).where(Intent.key == key).values(
        status=IntentStatus.RUNNING, attempts=1, run_after=utcnow() - timedelta(minutes=3),
        started_at=utcnow() - timedelta(minutes=3)))
    db_session.expire_all()
    assert core_jobs.sweep() >= 1
    assert core_jobs.run(_intent(key).id) == "done"
    assert core_jobs.run(_intent(key).id) == "done", "run again: nothing more happens"
    db_session.refresh(order)
    assert order.state == OrderState.PAID and len(payments_of(attempt.charge_id)) == 1


def test_redis_down_while_a_buyer_orders_and_wechat_notifies(app, committed, use_config, throwaway_redis,
                                                             queue_name, wechat, tmp_path):
    from tests.conftest import PortalClient

    redis = throwaway_redis()
    redis.stop()
    use_config(REDIS_URL=redis.url)
    shop = build_shop(db.session)
    user = committed.user(role="owner", phone="+8613866667777", verified_phone="+8613866667777")
    make_consignee(user)
    order = services.create(user, user.company_id, [(shop.cny_offer.id, 1)])
    attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
    db.session.commit()  # the expiry and the polls are promised; none reached Redis
    order_id = order.id
    app.test_client_class = PortalClient
    client = app.test_client()
    response = client.post(NOTIFY, data=notify_body(attempt.out_trade_no, order.total_fen),
                           content_type="text/xml", csrf=False)
    assert answer(response) == "SUCCESS", "WeChat is answered although Redis is down"
    db.session.expire_all()
    assert db.session.get(Order, order_id).state == OrderState.PAID
    sms = db.session.scalar(select(SmsMessage).where(SmsMessage.event == "order_paid"))
    assert sms.status == SmsStatus.QUEUED

    redis.start()
    db.session.execute(update(Intent).values(run_after=utcnow() - timedelta(minutes=2)))
    db.session.commit()
    assert core_jobs.sweep() >= 2
    env = {k: str(v) for k, v in wechat_config(wechat.url, "http://127.0.0.1:9", str(tmp_path)).items()}
    worker = run_worker(redis.url, queue_name, **env)
    worker.wait(90)
    log = stop_process(worker)
    db.session.expire_all()
    assert db.session.get(SmsMessage, sms.id).status == SmsStatus.SENT, log
    assert len(payments_of(attempt.charge_id)) == 1


def test_polling_lost_for_good_is_resumed_by_the_periodic_sweep_and_pays_once(app, db_session, shop, buyer, wechat):
    from app.payments.jobs import resume_polling

    wechat.control("POST", "_sandbox/faults", json={"notify": "drop"})
    order = services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 1)])
    attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
    recent = prepay(services.charge_of(services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 1)])),
                    TradeType.NATIVE, client_ip="203.0.113.7")
    _pay_on_phone(wechat, attempt)
    # Its polls failed on every try (dead) and nothing has asked WeChat for ten minutes.
    db_session.execute(update(Intent).where(Intent.key.like(f"poll:{attempt.id}:%")).values(status=IntentStatus.DEAD))
    db_session.execute(update(Attempt).where(Attempt.id == attempt.id)
                       .values(created_at=utcnow() - timedelta(minutes=10)))
    db_session.expire_all()
    assert resume_polling() == 1, "the attempt polled a moment ago is left alone"
    assert resume_polling() == 1
    resumed = db_session.scalars(select(Intent).where(Intent.key.like(f"poll:{attempt.id}:resume:%"))).all()
    assert len(resumed) == 1, "run twice in a minute, it promises one poll"
    assert not db_session.scalars(select(Intent).where(Intent.key.like(f"poll:{recent.id}:resume:%"))).all()
    assert _run(resumed[0].key) == "done"
    db_session.refresh(order)
    assert order.state == OrderState.PAID and len(payments_of(attempt.charge_id)) == 1
    assert resume_polling() == 0, "a paid attempt is not polled again"
