"""After payment, against the WeChat Pay simulator: refunds (whole, partial, over what is left,
approved twice at once, notify lost or forged), customs declarations, shipping."""
from __future__ import annotations

import threading

import pytest
import xmltodict
from sqlalchemy import select

from app import ledger
from app.core.errors import Conflict, DomainError
from app.core.jobs import RetryLater
from app.extensions import db
from app.notifications.models import SmsMessage
from app.orders import aftersale, services
from app.orders.models import Order, OrderState
from app.payments import TradeType, prepay
from app.payments import customs, refunds
from app.payments.services import get_gateway
from app.payments.models import DeclarationState, Refund, RefundStatus
from tests.orders.conftest import build_shop, make_consignee
from tests.orders.test_payment_notify import NOTIFY, answer, notify_body
from tests.workers import wait_until

REFUND_NOTIFY = "/payments/wechatpay/refund-notify"


def paid_order(client, wechat, buyer, lines, *, commit: bool = False) -> Order:
    """An order paid at the simulator, its notify handed to the portal (committed first
    when the portal's requests do not share the test's transaction)."""
    order = services.create(buyer, buyer.company_id, lines)
    attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
    if commit:
        db.session.commit()
    result = wechat.control("POST", "_sandbox/pay", json={"code_url": attempt.code_url}).json()
    body = notify_body(attempt.out_trade_no, order.total_fen, transaction_id=result["transaction_id"])
    assert answer(client.post(NOTIFY, data=body, content_type="text/xml", csrf=False)) == "SUCCESS"
    db.session.refresh(order)
    assert order.state == OrderState.PAID
    return order


def settled(refund_id: int) -> str:
    try:
        return refunds.check(refund_id)
    except RetryLater:
        return ""


def test_a_refund_of_the_whole_order_reverses_every_booking(client, db_session, shop, buyer, make_user, wechat):
    order = paid_order(client, wechat, buyer, [(shop.usd_offer.id, 2), (shop.cny_offer.id, 1)])
    refund = aftersale.request_refund(order, reason="收到的货不对", requested_by_id=buyer.id)
    assert refund.status == RefundStatus.REQUESTED and refund.amount_fen == order.total_fen
    ops = make_user(role=None, staff_role="ops")
    aftersale.decide(order, refund.id, approve=True, actor_id=ops.id, note="核实无误")
    owed = lambda: ledger.balance(ledger.CUSTOMER, ledger.COMPANY, order.company_id)  # noqa: E731
    assert owed() == -order.total_fen, "the whole order is owed back to the company"
    assert ledger.balance(ledger.SUPPLIER_PAYABLE) == 0 and ledger.balance(ledger.TAX_HELD) == 0
    assert ledger.balance(ledger.COMMISSION) == 0, "the commission goes back in proportion"
    assert refunds.send(refund.id) == "processing"
    assert wait_until(lambda: settled(refund.id) == "succeeded", timeout=20, every=0.2)
    db_session.refresh(order)
    assert order.state == OrderState.REFUNDED and order.refunded_fen == order.total_fen
    assert ledger.balance(ledger.CLEARING) == 0 and owed() == 0 and ledger.balance(ledger.REFUNDS_DUE) == 0
    assert ledger.trial_balance() == 0
    sms = db_session.scalar(select(SmsMessage).where(SmsMessage.event == "refund_completed"))
    assert sms is not None and order.number in sms.body


def test_two_partial_refunds_then_one_over_what_is_left_is_refused(client, db_session, shop, buyer, wechat):
    order = paid_order(client, wechat, buyer, [(shop.usd_offer.id, 1), (shop.cny_offer.id, 3)])
    usd_line = order.lines[0]
    first = aftersale.request_refund(order, reason="一件破损", requested_by_id=buyer.id, line_ids=[usd_line.id])
    assert first.amount_fen == usd_line.landed_fen and first.detail == {"lines": [usd_line.id]}
    aftersale.decide(order, first.id, approve=True, actor_id=buyer.id)
    second = aftersale.request_refund(order, reason="少发一件", requested_by_id=buyer.id, amount_fen=5_000)
    aftersale.decide(order, second.id, approve=True, actor_id=buyer.id)
    left = order.total_fen - usd_line.landed_fen - 5_000
    with pytest.raises(DomainError) as over:
        aftersale.request_refund(order, reason="再退", requested_by_id=buyer.id, amount_fen=left + 1)
    assert over.value.field == "amount" and over.value.code == "over_refundable"
    assert f"{left // 100}.{left % 100:02d}" in str(over.value.message), "the buyer is told what is left"
    assert refunds.send(first.id) == "processing"
    # One at a time: the second waits while the first is processing.
    with pytest.raises(RetryLater):
        refunds.send(second.id)
    assert wait_until(lambda: settled(first.id) == "succeeded", timeout=20, every=0.2)
    assert refunds.send(second.id) == "processing"
    assert wait_until(lambda: settled(second.id) == "succeeded", timeout=20, every=0.2)
    db_session.refresh(order)
    assert order.state == OrderState.PAID and aftersale.refund_label(order) == "partly_refunded"
    assert order.refunded_fen == usd_line.landed_fen + 5_000
    assert ledger.balance(ledger.CLEARING) == left and ledger.trial_balance() == 0


def test_two_approvals_at_once_never_refund_more_than_was_paid(app, committed, wechat):
    from tests.conftest import PortalClient

    shop = build_shop(db.session)
    user = committed.user(role="owner")
    make_consignee(user)
    db.session.commit()
    app.test_client_class = PortalClient
    order = paid_order(app.test_client(), wechat, user, [(shop.cny_offer.id, 2)], commit=True)
    share = order.total_fen * 6 // 10
    a = aftersale.request_refund(order, reason="一", requested_by_id=user.id, amount_fen=share)
    b = aftersale.request_refund(order, reason="二", requested_by_id=user.id, amount_fen=share)
    db.session.commit()
    order_id, outcomes, barrier = order.id, [], threading.Barrier(2)

    def approve(refund_id: int) -> None:
        with app.app_context():
            from app.core.db import unit

            barrier.wait()
            try:
                with unit():
                    aftersale.decide(db.session.get(Order, order_id), refund_id, approve=True, actor_id=user.id)
                outcomes.append("approved")
            except Conflict:
                outcomes.append("refused")

    threads = [threading.Thread(target=approve, args=(r.id,)) for r in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["approved", "refused"]
    db.session.expire_all()
    states = sorted(r.status.value for r in db.session.scalars(select(Refund)))
    assert states == ["approved", "requested"]
    assert ledger.balance(ledger.CUSTOMER, ledger.COMPANY, user.company_id) == -share


def test_a_lost_refund_notify_is_finished_by_the_query_and_a_forged_one_is_ignored(client, db_session, shop,
                                                                                 buyer, wechat):
    wechat.control("POST", "_sandbox/faults", json={"notify": "drop"})
    order = paid_order(client, wechat, buyer, [(shop.cny_offer.id, 1)])
    refund = aftersale.request_refund(order, reason="不想要了", requested_by_id=buyer.id)
    aftersale.decide(order, refund.id, approve=True, actor_id=buyer.id)
    refunds.send(refund.id)
    forged = ("<xml><return_code>SUCCESS</return_code><appid>wx8888888888888888</appid>"
              "<mch_id>1900000109</mch_id><nonce_str>x</nonce_str><req_info>bm90IGVuY3J5cHRlZA==</req_info></xml>")
    response = client.post(REFUND_NOTIFY, data=forged, content_type="text/xml", csrf=False)
    assert xmltodict.parse(response.get_data(as_text=True))["xml"]["return_code"] == "FAIL"
    assert db_session.get(Refund, refund.id).status == RefundStatus.PROCESSING, "a forged notify changes nothing"
    assert wait_until(lambda: settled(refund.id) == "succeeded", timeout=20, every=0.2)


def test_a_refund_notify_from_wechat_completes_the_refund(portal):
    from app.core.db import unit

    def setup(f, session):
        shop = build_shop(session)
        user = f.user(role="owner")
        make_consignee(user)
        return shop.cny_offer.id, user.id

    offer_id, user_id = portal.commit(setup)
    with portal.app.app_context():
        from app.accounts.models import User

        user = db.session.get(User, user_id)
        with unit():
            order = services.create(user, user.company_id, [(offer_id, 1)])
            attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
        portal.sandbox.control("POST", "_sandbox/pay", json={"code_url": attempt.code_url})
        order_id = order.id
        assert wait_until(lambda: db.session.scalar(select(Order.state).where(Order.id == order_id)
                                                    .execution_options(populate_existing=True)) == OrderState.PAID,
                          timeout=20, every=0.1), "the payment notify reached the portal"
        db.session.expire_all()
        with unit():
            order = db.session.get(Order, order_id)
            refund = aftersale.request_refund(order, reason="重复购买", requested_by_id=user_id)
            aftersale.decide(order, refund.id, approve=True, actor_id=user_id)
        refund_id = refund.id
        refunds.send(refund_id)
        assert wait_until(lambda: db.session.scalar(select(Refund.status).where(Refund.id == refund_id)
                                                    .execution_options(populate_existing=True))
                          == RefundStatus.SUCCEEDED, timeout=30, every=0.1), "WeChat's refund notify settled it"
        from app.payments.models import Callback

        assert "succeeded" in db.session.scalars(select(Callback.outcome).where(Callback.kind == "refund")).all()


def test_a_payment_over_a_year_old_is_refused_before_wechat_is_asked(client, db_session, shop, buyer, wechat):
    from datetime import timedelta

    from app.core.models import utcnow
    from app.payments.models import Payment

    order = paid_order(client, wechat, buyer, [(shop.cny_offer.id, 1)])
    db_session.execute(db.update(Payment).values(paid_at=utcnow() - timedelta(days=400)))
    db_session.expire_all()
    with pytest.raises(DomainError) as refused:
        aftersale.request_refund(db_session.get(Order, order.id), reason="太晚了", requested_by_id=buyer.id)
    assert refused.value.code == "trade_overdue"


def test_a_retail_order_is_declared_to_customs_and_ships_once_cleared(client, db_session, shop, buyer,
                                                                      make_user, wechat):
    make_consignee(buyer, name="张三", id_number="110101199003077512")  # the simulator's payer
    order = paid_order(client, wechat, buyer, [(shop.usd_offer.id, 1), (shop.cny_offer.id, 1)])
    declared = aftersale.declarations(order)
    assert [d.state for d in declared] == [DeclarationState.PENDING] * 2, "one sub-order per supplier"
    ops = make_user(role=None, staff_role="ops")
    with pytest.raises(DomainError) as early:
        aftersale.ship(order, [order.lines[0].id], carrier="顺丰", tracking_no="SF100", actor_id=ops.id)
    assert early.value.code == "customs_pending"
    charge = services.charge_of(order)
    assert customs.send(charge.id) == 2
    assert wait_until(lambda: _decided(charge.id), timeout=20, every=0.2)
    declared = aftersale.declarations(order)
    assert {(d.state, d.cert_check_result) for d in declared} == {(DeclarationState.SUCCEEDED, "SAME")}
    aftersale.ship(order, [line.id for line in order.lines], carrier="顺丰", tracking_no="SF100", actor_id=ops.id)
    assert order.state == OrderState.SHIPPED
    aftersale.deliver(order, [line.id for line in order.lines], actor_id=ops.id)
    assert order.state == OrderState.COMPLETED
    sms = db_session.scalar(select(SmsMessage).where(SmsMessage.event == "order_shipped"))
    assert sms is not None and "SF100" in sms.body, "the buyer is told the tracking number"


def _decided(charge_id: int) -> bool:
    try:
        return customs.check(charge_id) == "decided"
    except RetryLater:
        return False


def test_an_identity_customs_refuses_is_shown_and_can_be_declared_again(client, db_session, shop, buyer,
                                                                        make_user, wechat):
    order = paid_order(client, wechat, buyer, [(shop.cny_offer.id, 1)])  # 王小明, not the payer
    charge = services.charge_of(order)
    customs.send(charge.id)
    assert wait_until(lambda: _decided(charge.id), timeout=20, every=0.2)
    [declaration] = aftersale.declarations(order)
    assert declaration.state == DeclarationState.FAILED and declaration.cert_check_result == "DIFFERENT"
    assert "不一致" in declaration.explanation
    ops = make_user(role=None, staff_role="ops")
    customs.redeclare(declaration.id, actor_id=ops.id, mch_customs_no="4403169D3X")
    assert customs.send(charge.id) == 1
    db_session.refresh(declaration)
    assert declaration.state == DeclarationState.SUBMITTED and declaration.declared_times == 2
    [at_wechat] = get_gateway().query_customs(customs=declaration.customs,
                                              out_trade_no=charge.attempts[0].out_trade_no,
                                              sub_order_no=declaration.sub_order_no)
    assert at_wechat.mch_customs_no == "4403169D3X", "the simulator holds the corrected declaration"
