"""Customs declaration through the adapter against the simulator (real wechatpy over HTTP)."""
from __future__ import annotations

from dataclasses import replace

import pytest
from wechatpy.exceptions import WeChatPayException
from wechatpy.pay import WeChatPay

from app.payments.gateway import (BadSignature, CustomsRequest, GatewayRejected,
                                  GatewayUnavailable, TradeType)
from sandbox.wechatpay.protocol import sign
from tests.payments.test_gateway_contract_more import _signed_xml, fake_wechat, paid  # noqa: F401
from tests.sandbox_fixtures import API_KEY, APPID, MCH_ID

ALICE = {"cert_type": "IDCARD", "cert_id": "110101199003077512", "name": "张三"}


def settled(gateway, sandbox_server, **query):
    """The declarations once customs has judged every one of them."""
    return sandbox_server.wait_for(lambda: (d := gateway.query_customs(
        customs="HANGZHOU_ZS", **query)) and all(x.state != "SUBMITTED" for x in d) and d)


def declarations(sandbox_server) -> int:
    return sandbox_server.sandbox.store.one("SELECT COUNT(*) AS n FROM declarations")["n"]


def test_customs_declare_and_query(gateway, sandbox_server) -> None:
    tid = paid(gateway, sandbox_server, "KJ-CUSTOMS-1", 30000, TradeType.JSAPI)
    declared = gateway.declare_customs(CustomsRequest(
        "KJ-CUSTOMS-1", tid, "HANGZHOU_ZS", "3301960000", sub_order_no="KJ-CUSTOMS-1-A",
        fee_type="CNY", order_fee=30000, product_fee=30000, transport_fee=0, **ALICE))
    assert (declared.state, declared.cert_check_result) == ("SUBMITTED", "SAME")
    assert declared.sub_order_id and declared.modified_at.tzinfo is not None
    final = settled(gateway, sandbox_server, out_trade_no="KJ-CUSTOMS-1")
    assert [(d.state, d.sub_order_no, d.order_fee, d.product_fee, d.transport_fee, d.fee_type)
            for d in final] == [("SUCCESS", "KJ-CUSTOMS-1-A", 30000, 30000, 0, "CNY")]
    with pytest.raises(GatewayRejected) as err:
        gateway.declare_customs(CustomsRequest("KJ-CUSTOMS-1", tid, "HANGZHOU_ZS", "3301960000",
                                               sub_order_no="B", fee_type="CNY", order_fee=10,
                                               product_fee=5, transport_fee=4))
    assert err.value.code == "PARAM_ERROR"


def test_wechatpys_own_post_with_its_nonce_str_is_refused(gateway, sandbox_server) -> None:
    # What the adapter used to send: the same fields through wechatpy's post, which adds
    # a nonce_str and signs over it. WeChat signs customs calls over the documented
    # fields only, so this fails; the adapter's own request with the same fields works.
    tid = paid(gateway, sandbox_server, "KJ-CUSTOMS-4", 30000, TradeType.JSAPI)
    client = WeChatPay(appid=APPID, api_key=API_KEY, mch_id=MCH_ID, timeout=5)
    client.API_BASE_URL = sandbox_server.url
    fields = {"appid": APPID, "out_trade_no": "KJ-CUSTOMS-4", "transaction_id": tid,
              "customs": "HANGZHOU_ZS", "mch_customs_no": "3301960000"}
    for path in ("cgi-bin/mch/customs/customdeclareorder",
                 "cgi-bin/mch/customs/customdeclarequery"):
        with pytest.raises(WeChatPayException) as err:
            client.post(path, data=dict(fields))
        assert (err.value.return_code, err.value.return_msg) == ("FAIL", "签名错误")
    assert declarations(sandbox_server) == 0
    declared = gateway.declare_customs(CustomsRequest("KJ-CUSTOMS-4", tid, "HANGZHOU_ZS",
                                                      "3301960000"))
    assert (declared.state, declared.cert_check_result) == ("SUBMITTED", "UNCHECKED")
    assert [d.sub_order_id for d in gateway.query_customs(
        customs="HANGZHOU_ZS", transaction_id=tid)] == [declared.sub_order_id]


def test_split_sub_orders_are_declared_and_read_back_one_by_one(gateway, sandbox_server) -> None:
    tid = paid(gateway, sandbox_server, "KJ-CUSTOMS-5", 50000, TradeType.JSAPI)
    base = CustomsRequest("KJ-CUSTOMS-5", tid, "HANGZHOU_ZS", "3301960000", **ALICE)
    # fee_type is left out: CNY is the only currency WeChat takes for a split order.
    goods = gateway.declare_customs(replace(base, sub_order_no="KJ-CUSTOMS-5-1",
                                            order_fee=30000, product_fee=29000,
                                            transport_fee=1000))
    gifts = gateway.declare_customs(replace(base, sub_order_no="KJ-CUSTOMS-5-2",
                                            order_fee=20000, product_fee=20000,
                                            transport_fee=0, duty=0))
    assert goods.sub_order_id != gifts.sub_order_id
    [only] = gateway.query_customs(customs="HANGZHOU_ZS", sub_order_no="KJ-CUSTOMS-5-2")
    assert (only.out_trade_no, only.sub_order_id, only.order_fee, only.duty) == (
        "KJ-CUSTOMS-5", gifts.sub_order_id, 20000, 0)
    [by_id] = gateway.query_customs(customs="HANGZHOU_ZS", sub_order_id=goods.sub_order_id)
    assert (by_id.product_fee, by_id.transport_fee) == (29000, 1000)
    both = settled(gateway, sandbox_server, transaction_id=tid)
    assert [(d.sub_order_no, d.state, d.cert_check_result) for d in both] == [
        ("KJ-CUSTOMS-5-1", "SUCCESS", "SAME"), ("KJ-CUSTOMS-5-2", "SUCCESS", "SAME")]


def test_modify_replaces_the_declaration_with_a_new_number_and_duty(gateway,
                                                                    sandbox_server) -> None:
    tid = paid(gateway, sandbox_server, "KJ-CUSTOMS-6", 30000, TradeType.JSAPI)
    first = gateway.declare_customs(CustomsRequest("KJ-CUSTOMS-6", tid, "HANGZHOU_ZS",
                                                   "3301960000", **ALICE))
    assert [d.state for d in settled(gateway, sandbox_server, out_trade_no="KJ-CUSTOMS-6")] \
        == ["SUCCESS"]
    modify = CustomsRequest("KJ-CUSTOMS-6", tid, "HANGZHOU_ZS", "3301960001", duty=150,
                            action_type="MODIFY")
    again = gateway.declare_customs(modify)
    assert (again.state, again.sub_order_id, again.cert_check_result) == (
        "SUBMITTED", first.sub_order_id, "SAME")
    with pytest.raises(GatewayRejected) as err:
        gateway.declare_customs(replace(modify, **{**ALICE, "name": "李四"}))
    assert err.value.code == "PARAM_ERROR"
    [final] = settled(gateway, sandbox_server, out_trade_no="KJ-CUSTOMS-6")
    assert (final.state, final.mch_customs_no, final.duty) == ("SUCCESS", "3301960001", 150)


@pytest.mark.parametrize("change, message", [
    ({"action_type": "DELETE"}, "action_type"),
    ({"cert_type": "PASSPORT", "cert_id": "E12345678", "name": "张三"}, "cert_type"),
    ({"duty": -1}, "duty"),
    ({"order_fee": 12.5}, "order_fee"),
    ({"transport_fee": True}, "transport_fee"),
    ({"name": "张三]]><x>", "cert_id": "110101199003077512"}, "name"),
    ({"mch_customs_no": "3301\n960000"}, "mch_customs_no"),
])
def test_a_request_that_cannot_be_sent_is_refused_before_any_call(gateway, sandbox_server,
                                                                   change, message) -> None:
    tid = paid(gateway, sandbox_server, "KJ-CUSTOMS-7", 30000, TradeType.JSAPI)
    request = replace(CustomsRequest("KJ-CUSTOMS-7", tid, "HANGZHOU_ZS", "3301960000"), **change)
    with pytest.raises(ValueError, match=message):
        gateway.declare_customs(request)
    assert declarations(sandbox_server) == 0


def test_a_query_needs_an_order_or_sub_order(gateway) -> None:
    with pytest.raises(ValueError, match="out_trade_no"):
        gateway.query_customs(customs="HANGZHOU_ZS")


def test_the_reply_is_still_checked_and_the_timeout_still_holds(fake_wechat, make_gateway,
                                                                 sandbox_server) -> None:
    server, gw = fake_wechat
    reply = {"return_code": "SUCCESS", "result_code": "SUCCESS", "state": "SUBMITTED",
             "out_trade_no": "KJ-1", "transaction_id": "4200" + "0" * 24}
    server.default_reply = _signed_xml(reply, key="f" * 32)
    with pytest.raises(BadSignature):
        gw.declare_customs(CustomsRequest("KJ-1", "4200" + "0" * 24, "NINGBO", "3302460000"))
    [sent] = server.received
    assert "nonce_str" not in sent.fields and sent.fields["mch_id"] == MCH_ID
    assert sent.fields["sign"] == sign(sent.fields, API_KEY)
    server.default_reply = _signed_xml(reply)
    assert gw.declare_customs(CustomsRequest("KJ-1", "4200" + "0" * 24, "NINGBO",
                                             "3302460000")).state == "SUBMITTED"

    sandbox_server.control("POST", "_sandbox/faults", json={"latency_ms": 400})
    with pytest.raises(GatewayUnavailable):
        make_gateway(WECHATPAY_TIMEOUT="0.1").query_customs(customs="NINGBO",
                                                             out_trade_no="KJ-1")
