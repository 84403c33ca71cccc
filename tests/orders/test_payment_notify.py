"""WeChat's payment notify: stored first, authenticated by its signature, checked against our
order, applied once however often or however forged it comes."""
from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests
import xmltodict
from sqlalchemy import func, select

from app import ledger
from app.orders import services
from app.orders.models import OrderState
from app.payments import TradeType, prepay
from app.payments.models import Callback, Charge, Payment
from sandbox.wechatpay.protocol import nonce, sign, to_xml
from tests.orders.conftest import build_shop, make_consignee
from tests.sandbox_fixtures import API_KEY, APPID, MCH_ID

NOTIFY = "/payments/wechatpay/notify"


def notify_body(out_trade_no: str, total_fee: int, *, transaction_id: str = "4200000001202612011234567890",
                key: str = API_KEY, **changes: Any) -> bytes:
    fields = {"return_code": "SUCCESS", "appid": APPID, "mch_id": MCH_ID, "nonce_str": nonce(),
              "result_code": "SUCCESS", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "trade_type": "NATIVE",
              "bank_type": "CMC", "total_fee": str(total_fee), "fee_type": "CNY", "cash_fee": str(total_fee),
              "transaction_id": transaction_id, "out_trade_no": out_trade_no, "time_end": "20261201120000"}
    fields.update({k: v for k, v in changes.items() if v is not None})
    for k in [k for k, v in changes.items() if v is None]:
        fields.pop(k, None)
    fields["sign"] = sign(fields, key)
    return to_xml(fields).encode()


def answer(response) -> str:
    return xmltodict.parse(response.get_data(as_text=True))["xml"]["return_code"]


@pytest.fixture
def unpaid(app, db_session, shop, buyer, wechat):
    """An order whose QR code was shown: an attempt WeChat knows."""
    order = services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 1)])
    attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
    return order, attempt


def payments_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Payment))


def test_a_notify_records_the_payment_once_and_answers_success(client, db_session, unpaid):
    order, attempt = unpaid
    body = notify_body(attempt.out_trade_no, order.total_fen)
    first = client.post(NOTIFY, data=body, content_type="text/xml", csrf=False)
    assert first.status_code == 200 and answer(first) == "SUCCESS"
    again = client.post(NOTIFY, data=body, content_type="text/xml", csrf=False)
    assert answer(again) == "SUCCESS", "a duplicate is acknowledged, so WeChat stops"
    db_session.refresh(order)
    assert order.state == OrderState.PAID and payments_count(db_session) == 1
    outcomes = [c.outcome for c in db_session.scalars(select(Callback).order_by(Callback.id))]
    assert outcomes == ["applied", "duplicate"]
    assert [e.kind for e in ledger.entries_for_order(order.id)] == ["charge", "payment"], "booked once"


@pytest.mark.parametrize("tamper", [
    {"total_fee": "1"}, {"fee_type": "USD"}, {"mch_id": "1900000999"}, {"appid": "wx0000000000000000"},
    {"key": "0" * 32},
])
def test_a_tampered_notify_changes_nothing(client, db_session, unpaid, tamper):
    order, attempt = unpaid
    kwargs = dict(tamper)
    total = int(kwargs.pop("total_fee", order.total_fen))
    response = client.post(NOTIFY, data=notify_body(attempt.out_trade_no, total, **kwargs),
                           content_type="text/xml", csrf=False)
    assert response.status_code == 200 and answer(response) == "FAIL"
    db_session.refresh(order)
    assert order.state == OrderState.PENDING_PAYMENT and payments_count(db_session) == 0
    [stored] = db_session.scalars(select(Callback)).all()
    assert stored.outcome in ("mismatch", "bad_signature", "bad_notify") and stored.body.startswith("<xml>")
    assert ledger.trial_balance() == 0 and ledger.balance(ledger.CLEARING) == 0


def test_a_changed_field_breaks_the_signature_even_one_we_do_not_read(client, db_session, unpaid):
    order, attempt = unpaid
    body = notify_body(attempt.out_trade_no, order.total_fen, coupon_fee="100", coupon_count="1")
    forged = body.replace(b"<coupon_fee>100</coupon_fee>", b"<coupon_fee>200</coupon_fee>")
    assert answer(client.post(NOTIFY, data=forged, content_type="text/xml", csrf=False)) == "FAIL"
    assert payments_count(db_session) == 0


def test_coupon_and_settlement_amounts_are_kept_as_received(client, db_session, unpaid):
    order, attempt = unpaid
    body = notify_body(attempt.out_trade_no, order.total_fen, cash_fee=str(order.total_fen - 500),
                       coupon_fee="500", coupon_count="1", coupon_id_0="2001", coupon_fee_0="500",
                       settlement_total_fee=str(order.total_fen - 500))
    assert answer(client.post(NOTIFY, data=body, content_type="text/xml", csrf=False)) == "SUCCESS"
    payment = db_session.scalar(select(Payment))
    assert (payment.total_fee, payment.cash_fee, payment.coupon_fee, payment.settlement_total_fee) == (
        order.total_fen, order.total_fen - 500, 500, order.total_fen - 500)
    assert payment.raw["coupon_id_0"] == "2001"


def test_a_failed_payment_records_nothing(client, db_session, unpaid):
    order, attempt = unpaid
    body = notify_body(attempt.out_trade_no, order.total_fen, result_code="FAIL", err_code="ORDERCLOSED",
                       transaction_id=None)
    assert answer(client.post(NOTIFY, data=body, content_type="text/xml", csrf=False)) == "SUCCESS"
    db_session.refresh(order)
    assert order.state == OrderState.PENDING_PAYMENT and payments_count(db_session) == 0


def test_a_notify_for_an_order_not_there_yet_asks_wechat_to_retry(client, db_session, unpaid):
    response = client.post(NOTIFY, data=notify_body("KJ261201UNKNOWN1N1", 100), content_type="text/xml", csrf=False)
    assert answer(response) == "FAIL"
    assert db_session.scalar(select(Callback.outcome)) == "unknown_order"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><a>&lol3;</a></xml>"""


@pytest.mark.parametrize("body", [b"", b"not xml at all", b"<xml><return_code>SUCCESS", b"\xff\xfe\x00garbage",
                                  BILLION_LAUGHS, b"<xml>" + b"x" * 200_000 + b"</xml>"])
def test_garbage_empty_oversized_and_entity_bodies_answer_fail_never_500(client, db_session, unpaid, body):
    started = time.monotonic()
    response = client.post(NOTIFY, data=body, content_type="text/xml", csrf=False)
    assert response.status_code == 200 and answer(response) == "FAIL"
    assert time.monotonic() - started < 5
    assert payments_count(db_session) == 0
    assert db_session.scalar(select(func.count()).select_from(Callback)) == 1, "kept as received"


def test_a_payment_for_an_order_we_closed_is_never_lost(client, db_session, unpaid):
    from app.core import states
    from app.orders.models import ORDER_MACHINE
    from app.payments.models import CHARGE_MACHINE, ChargeStatus

    order, attempt = unpaid
    charge = db_session.get(Charge, attempt.charge_id)
    states.apply(CHARGE_MACHINE, charge, ChargeStatus.CLOSED)
    states.apply(ORDER_MACHINE, order, OrderState.CLOSED)
    db_session.flush()
    body = notify_body(attempt.out_trade_no, order.total_fen)
    assert answer(client.post(NOTIFY, data=body, content_type="text/xml", csrf=False)) == "SUCCESS"
    db_session.refresh(order)
    assert order.state == OrderState.PAID, "the money wins: the order is paid after all"
    assert ledger.balance(ledger.CLEARING) == order.total_fen


def test_fifty_concurrent_identical_notifies_record_one_payment(portal):
    def setup(f, session):
        shop = build_shop(session)
        user = f.user(role="owner")
        make_consignee(user)
        order = services.create(user, user.company_id, [(shop.cny_offer.id, 3)])
        attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
        return order.id, order.total_fen, attempt.out_trade_no

    order_id, total, out_trade_no = portal.commit(setup)
    body = notify_body(out_trade_no, total, transaction_id="4200000001202612019999999999")
    barrier = threading.Barrier(50)
    answers: list[str] = []

    def deliver() -> None:
        barrier.wait()
        r = requests.post(portal.url + NOTIFY, data=body, headers={"Content-Type": "text/xml"}, timeout=30)
        answers.append(xmltodict.parse(r.text)["xml"]["return_code"])

    threads = [threading.Thread(target=deliver) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert answers == ["SUCCESS"] * 50
    with portal.app.app_context():
        from app.extensions import db

        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
        outcomes = db.session.scalars(select(Callback.outcome)).all()
        assert sorted(outcomes).count("applied") == 1 and len(outcomes) == 50
        assert [e.kind for e in ledger.entries_for_order(order_id)] == ["charge", "payment"]
        assert ledger.trial_balance() == 0
