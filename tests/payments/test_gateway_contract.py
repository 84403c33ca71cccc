"""The WeChat Pay adapter (real wechatpy over HTTP) against the simulator: every call and error."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from app.payments.gateway import (
    BEIJING,
    BadReply,
    BadSignature,
    DuplicateOrderNumber,
    GatewayMisconfigured,
    GatewayRejected,
    GatewayUnavailable,
    OrderAlreadyClosed,
    OrderAlreadyPaid,
    OrderNotFound,
    PrepayRequest,
    RefundRejected,
    RefundRequest,
    RefundState,
    TradeState,
    TradeType,
)
from app.payments.wechatpay import WeChatPayGateway
from sandbox.wechatpay.engine import CLOSE_MIN_AGE_SECONDS
from sandbox.wechatpay.protocol import sign
from tests.sandbox_fixtures import API_KEY, APPID, MCH_ID


def native(out_trade_no="KJ-ORDER-0001", total_fee=25900, **extra) -> PrepayRequest:
    return PrepayRequest(out_trade_no=out_trade_no, body="奶粉 Milk powder x2",
                         total_fee=total_fee, trade_type=TradeType.NATIVE,
                         client_ip="203.0.113.9", attach="company=7", **extra)


def pay(sandbox_server, **which) -> str:
    resp = sandbox_server.control("POST", "_sandbox/pay", json={"outcome": "SUCCESS", **which})
    assert resp.status_code == 200, resp.text
    return resp.json()["transaction_id"]


def paid_order(gateway, sandbox_server, out_trade_no="KJ-ORDER-0001", total_fee=25900):
    prepay = gateway.prepay(native(out_trade_no, total_fee))
    return prepay, pay(sandbox_server, code_url=prepay.code_url)


# -- prepay ----------------------------------------------------------------------

def test_prepay_native_jsapi_mweb(gateway, sandbox_server) -> None:
    prepay = gateway.prepay(native())
    assert prepay.trade_type is TradeType.NATIVE and prepay.prepay_id.startswith("wx")
    assert prepay.code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    jsapi = gateway.prepay(PrepayRequest("KJ-JSAPI-1", "JSAPI", 100, TradeType.JSAPI,
                                         "198.51.100.4", openid=sandbox_server.openid()))
    assert jsapi.prepay_id and jsapi.code_url is None
    mweb = gateway.prepay(PrepayRequest(
        "KJ-MWEB-1", "H5", 100, TradeType.MWEB, "198.51.100.4",
        scene_info={"h5_info": {"type": "Wap", "wap_url": "https://kj.test", "wap_name": "KJ"}}))
    assert mweb.mweb_url and "/_sandbox/mweb?" in mweb.mweb_url


def test_prepay_passes_the_client_ip_and_expiry(gateway, sandbox_server) -> None:
    expires = datetime.now(BEIJING) + timedelta(minutes=30)
    gateway.prepay(native(expires_at=expires))
    row = sandbox_server.sandbox.store.one("SELECT * FROM orders")
    assert row["spbill_create_ip"] == "203.0.113.9"
    # 30 minutes at scale 600 is three real seconds.
    assert row["expire_at"] - row["created_at"] == pytest.approx(1800 / 600, abs=0.5)


def test_prepay_is_idempotent_and_clips_long_bodies(gateway, sandbox_server) -> None:
    first = gateway.prepay(native())
    assert gateway.prepay(native()).code_url == first.code_url
    with pytest.raises(DuplicateOrderNumber) as err:
        gateway.prepay(native(total_fee=26000))
    assert err.value.code == "INVALID_REQUEST"
    long = gateway.prepay(PrepayRequest("KJ-LONG-1", "跨" * 100, 100, TradeType.NATIVE, "1.2.3.4"))
    assert long.code_url
    stored = sandbox_server.sandbox.store.one(
        "SELECT body FROM orders WHERE out_trade_no = 'KJ-LONG-1'")["body"]
    assert len(stored.encode()) <= 127 and stored == "跨" * 42


def test_prepay_after_payment_and_after_close(gateway, sandbox_server) -> None:
    paid_order(gateway, sandbox_server)
    with pytest.raises(OrderAlreadyPaid):
        gateway.prepay(native())
    gateway.prepay(native("KJ-ORDER-0002"))
    sandbox_server.sandbox.shift_clock(CLOSE_MIN_AGE_SECONDS)
    gateway.close_order("KJ-ORDER-0002")
    with pytest.raises(OrderAlreadyClosed):
        gateway.prepay(native("KJ-ORDER-0002"))


def test_prepay_rejections_carry_wechats_code(gateway, make_gateway) -> None:
    with pytest.raises(GatewayRejected) as err:
        gateway.prepay(native("bad"))
    assert (err.value.code, err.value.message) == ("PARAM_ERROR", "out_trade_no参数格式错误")
    with pytest.raises(GatewayRejected) as err:
        make_gateway(WECHATPAY_API_KEY="0" * 32).prepay(native())
    assert err.value.code == "SIGNERROR"
    with pytest.raises(GatewayRejected) as err:
        make_gateway(WECHATPAY_APPID="wx0000000000000000").prepay(native())
    assert err.value.code == "APPID_MCHID_NOT_MATCH"
    with pytest.raises(ValueError):
        gateway.prepay(native(total_fee=0))
    with pytest.raises(ValueError):
        gateway.prepay(PrepayRequest("KJ-JSAPI-2", "x", 1, TradeType.JSAPI, "1.2.3.4"))


# -- query and close ---------------------------------------------------------------

def test_query_order_states(gateway, sandbox_server) -> None:
    prepay = gateway.prepay(native())
    status = gateway.query_order(out_trade_no="KJ-ORDER-0001")
    assert status.trade_state is TradeState.NOTPAY and not status.is_paid
    assert status.total_fee == 25900 and status.transaction_id is None
    tid = pay(sandbox_server, code_url=prepay.code_url, openid=sandbox_server.openid("bob"))
    status = gateway.query_order(transaction_id=tid)
    assert status.is_paid and status.trade_state is TradeState.SUCCESS
    assert (status.transaction_id, status.cash_fee, status.attach, status.openid) == (
        tid, 25900, "company=7", sandbox_server.openid("bob"))
    assert status.paid_at.utcoffset() == timedelta(hours=8)
    assert abs((status.paid_at - datetime.now(BEIJING)).total_seconds()) < 60
    with pytest.raises(OrderNotFound) as err:
        gateway.query_order(out_trade_no="KJ-NOPE-01")
    assert err.value.code == "ORDERNOTEXIST"


def test_close_order(gateway, sandbox_server) -> None:
    sandbox_server.sandbox.config.time_scale = 1  # real minutes; the clock is moved below
    gateway.prepay(native())
    with pytest.raises(GatewayUnavailable) as err:
        gateway.close_order("KJ-ORDER-0001")   # within five (scaled) minutes: retry later
    assert err.value.code == "SYSTEMERROR"
    sandbox_server.sandbox.shift_clock(CLOSE_MIN_AGE_SECONDS)
    gateway.close_order("KJ-ORDER-0001")
    assert gateway.query_order(out_trade_no="KJ-ORDER-0001").trade_state is TradeState.CLOSED
    with pytest.raises(OrderAlreadyClosed):
        gateway.close_order("KJ-ORDER-0001")
    paid_order(gateway, sandbox_server, "KJ-ORDER-0003")
    with pytest.raises(OrderAlreadyPaid):
        gateway.close_order("KJ-ORDER-0003")
    with pytest.raises(OrderNotFound):
        gateway.close_order("KJ-NOPE-01")


# -- refunds -------------------------------------------------------------------------

def test_refund_flow(gateway, sandbox_server, merchant) -> None:
    _, tid = paid_order(gateway, sandbox_server)
    accepted = gateway.refund(RefundRequest("RF-1", 25900, 10000, transaction_id=tid,
                                            refund_desc="破损 damaged"))
    assert re.fullmatch(r"\d{29}", accepted.refund_id) and accepted.refund_fee == 10000
    assert gateway.refund(RefundRequest("RF-1", 25900, 10000, out_trade_no="KJ-ORDER-0001")
                          ).refund_id == accepted.refund_id
    with pytest.raises(RefundRejected) as err:
        gateway.refund(RefundRequest("RF-2", 25900, 15901, out_trade_no="KJ-ORDER-0001"))
    assert err.value.code == "NOTENOUGH"
    with pytest.raises(RefundRejected) as err:
        gateway.refund(RefundRequest("RF-1", 25900, 9999, out_trade_no="KJ-ORDER-0001"))
    assert err.value.code == "PARAM_ERROR"
    with pytest.raises(OrderNotFound):
        gateway.refund(RefundRequest("RF-3", 100, 100, out_trade_no="KJ-NOPE-01"))
    gateway.refund(RefundRequest("RF-4", 25900, 15900, out_trade_no="KJ-ORDER-0001"))

    done = sandbox_server.wait_for(lambda: (r := gateway.query_refunds(out_trade_no="KJ-ORDER-0001"))
                                   and all(x.status is RefundState.SUCCESS for x in r.refunds) and r)
    assert [(x.out_refund_no, x.refund_fee) for x in done.refunds] == [("RF-1", 10000),
                                                                      ("RF-4", 15900)]
    assert done.refunds[0].succeeded_at.utcoffset() == timedelta(hours=8)
    one = gateway.query_refunds(refund_id=accepted.refund_id)
    assert [x.out_refund_no for x in one.refunds] == ["RF-1"] and one.total_fee == 25900
    with pytest.raises(OrderNotFound) as err:
        gateway.query_refunds(out_refund_no="RF-NONE")
    assert err.value.code == "REFUNDNOTEXIST"
    assert gateway.query_order(out_trade_no="KJ-ORDER-0001").trade_state is TradeState.REFUND

    # The refund notifies went to the merchant and decrypt with our key.
    sandbox_server.wait_for(lambda: len(merchant.received) >= 3)
    notices = [gateway.parse_refund_notify(r.body.encode()) for r in merchant.received
               if "req_info" in r.fields]
    assert {(n.out_refund_no, n.refund_fee, n.status) for n in notices} == {
        ("RF-1", 10000, RefundState.SUCCESS), ("RF-4", 15900, RefundState.SUCCESS)}


def test_refund_needs_certificate_files(gateway_config) -> None:
    gw = WeChatPayGateway(APPID, MCH_ID, API_KEY, api_base=gateway_config["WECHATPAY_API_BASE"])
    with pytest.raises(GatewayMisconfigured):
        gw.refund(RefundRequest("RF-1", 100, 100, out_trade_no="KJ-ORDER-0001"))


# -- notifies ----------------------------------------------------------------------------

def test_parse_payment_notify_from_the_simulator(gateway, sandbox_server, merchant) -> None:
    _, tid = paid_order(gateway, sandbox_server)
    sandbox_server.wait_for(lambda: merchant.received)
    notice = gateway.parse_payment_notify(merchant.received[0].body.encode())
    assert (notice.transaction_id, notice.out_trade_no, notice.total_fee, notice.cash_fee) == (
        tid, "KJ-ORDER-0001", 25900, 25900)
    assert notice.appid == APPID and notice.mch_id == MCH_ID and notice.attach == "company=7"
    assert notice.paid_at.tzinfo is not None
    assert b"<return_code><![CDATA[SUCCESS]]></return_code>" in gateway.notify_reply(True)
    assert b"FAIL" in gateway.notify_reply(False, "amount mismatch")


def test_bad_sign_notify_is_refused_and_tampered_amount_is_visible(
        gateway, sandbox_server, merchant) -> None:
    sandbox_server.control("POST", "_sandbox/faults", json={"notify": "bad_sign"})
    merchant.replies = ["<xml><return_code>FAIL</return_code></xml>"]
    paid_order(gateway, sandbox_server)
    sandbox_server.wait_for(lambda: merchant.received)
    with pytest.raises(BadSignature):
        gateway.parse_payment_notify(merchant.received[0].body.encode())

    sandbox_server.control("POST", "_sandbox/faults", json={"notify": "tamper_amount"})
    paid_order(gateway, sandbox_server, "KJ-ORDER-0002", total_fee=500)
    sandbox_server.wait_for(lambda: any(r.fields.get("out_trade_no") == "KJ-ORDER-0002"
                                        for r in merchant.received))
    body = next(r.body for r in merchant.received if r.fields["out_trade_no"] == "KJ-ORDER-0002")
    notice = gateway.parse_payment_notify(body.encode())
    assert notice.total_fee != 500  # signature fine; the merchant's amount check must catch it


def test_notify_for_another_merchant_or_garbage(gateway) -> None:
    fields = {"appid": "wx0000000000000000", "mch_id": MCH_ID, "nonce_str": "n",
              "result_code": "SUCCESS", "return_code": "SUCCESS", "out_trade_no": "X1234567",
              "transaction_id": "4200" + "1" * 24, "total_fee": "1", "openid": "o",
              "trade_type": "NATIVE"}
    xml = "<xml>" + "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
    body = (xml + f"<sign>{sign(fields, API_KEY)}</sign></xml>").encode()
    with pytest.raises(BadReply):
        gateway.parse_payment_notify(body)
    with pytest.raises(BadSignature):
        gateway.parse_payment_notify(b"not xml")
    with pytest.raises(BadSignature):
        gateway.parse_refund_notify(
            f"<xml><return_code>SUCCESS</return_code><appid>{APPID}</appid><mch_id>{MCH_ID}"
            "</mch_id><req_info>bm90IGVuY3J5cHRlZCBhdCBhbGwgLSAzMiBieXRlcyBsb25nIQ==</req_info>"
            "</xml>".encode())


def test_refund_notify_with_wrong_key_is_refused(gateway, sandbox_server, merchant) -> None:
    sandbox_server.control("POST", "_sandbox/faults", json={"notify": "bad_sign"})
    merchant.default_reply = "<xml><return_code>FAIL</return_code></xml>"
    _, tid = paid_order(gateway, sandbox_server)
    gateway.refund(RefundRequest("RF-1", 25900, 100, transaction_id=tid))
    sandbox_server.wait_for(lambda: any("req_info" in r.fields for r in merchant.received))
    body = next(r.body for r in merchant.received if "req_info" in r.fields)
    with pytest.raises(BadSignature):
        gateway.parse_refund_notify(body.encode())


def test_callbacks_with_a_dtd_are_refused(gateway) -> None:
    body = (b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<xml><return_code>SUCCESS</return_code><req_info>&x;</req_info></xml>")
    with pytest.raises(BadReply):
        gateway.parse_payment_notify(body)
    with pytest.raises(BadReply):
        gateway.parse_refund_notify(body)
