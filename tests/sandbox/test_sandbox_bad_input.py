"""Bad input never makes the simulator answer an HTML 500: XML or JSON errors instead."""
from __future__ import annotations

import logging

import pytest

from sandbox.wechatpay import orders
from sandbox.wechatpay.protocol import check_sign
from tests.sandbox_fixtures import API_KEY, parse
from tests.sandbox.test_sandbox_orders import order
from tests.sandbox.test_sandbox_payer import paid


@pytest.mark.parametrize("total_fee", ["²", "２５９００", "1" * 11, "9" * 23, "+100", "-100"])
def test_amounts_must_be_at_most_ten_ascii_digits(sandbox_server, total_fee) -> None:
    reply = sandbox_server.call("pay/unifiedorder", order(total_fee=total_fee))
    assert (reply["return_code"], reply["return_msg"]) == ("FAIL", "total_fee参数格式错误")
    assert sandbox_server.sandbox.store.one("SELECT * FROM orders") is None


def test_ten_digit_amount_is_accepted(sandbox_server) -> None:
    assert sandbox_server.call("pay/unifiedorder", order(total_fee="9" * 10))["result_code"] \
        == "SUCCESS"


@pytest.mark.parametrize("amount", ["²", "５００", "9" * 23])
def test_refund_and_customs_amounts_are_checked_too(sandbox_server, amount) -> None:
    tid = paid(sandbox_server)["transaction_id"]
    refund = sandbox_server.call("secapi/pay/refund", {
        "transaction_id": tid, "out_refund_no": "RF1", "total_fee": "500", "refund_fee": amount})
    assert (refund["return_code"], refund["return_msg"]) == ("FAIL", "refund_fee参数格式错误")
    declared = sandbox_server.call("cgi-bin/mch/customs/customdeclareorder", {
        "out_trade_no": "CUSTOMS_1", "transaction_id": tid, "customs": "HANGZHOU_ZS",
        "mch_customs_no": "3301960000", "duty": amount})
    assert (declared["result_code"], declared["err_code"]) == ("FAIL", "PARAM_ERROR")
    assert sandbox_server.sandbox.store.one("SELECT * FROM declarations") is None


def test_an_unexpected_failure_answers_signed_systemerror(sandbox_server, monkeypatch,
                                                          caplog) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(orders, "get_order", boom)
    with caplog.at_level(logging.ERROR):
        resp = sandbox_server.call("pay/orderquery", {"out_trade_no": "ORDER_0001"}, raw=True)
    reply = parse(resp)
    assert (reply["return_code"], reply["result_code"], reply["err_code"]) == (
        "SUCCESS", "FAIL", "SYSTEMERROR")
    assert check_sign(reply, API_KEY)
    assert "disk on fire" in caplog.text


def test_a_failure_before_the_request_is_read_answers_plain_systemerror(
        sandbox_server, monkeypatch) -> None:
    from sandbox.wechatpay import views_api

    def boom(*args, **kwargs):
        raise RuntimeError("parser broke")

    monkeypatch.setattr(views_api, "parse_xml", boom)
    reply = sandbox_server.call("pay/orderquery", {"out_trade_no": "ORDER_0001"})
    assert reply["return_code"] == "FAIL" and "sign" not in reply
    assert reply["return_msg"] == "SYSTEMERROR"
    monkeypatch.setattr(views_api, "parse_xml", boom)
    bill = sandbox_server.call("pay/downloadbill", {"bill_date": "20261125"})
    assert bill["return_code"] == "FAIL" and bill["return_msg"] == "SYSTEMERROR"


@pytest.mark.parametrize("path, payload", [
    ("_sandbox/pay", [1, 2]),
    ("_sandbox/pay", "text"),
    ("_sandbox/pay", {"code_url": ["x"]}),
    ("_sandbox/pay", {"out_trade_no": {"a": 1}}),
    ("_sandbox/pay", {"out_trade_no": "ORDER_0001", "openid": 5}),
    ("_sandbox/faults", [1]),
    ("_sandbox/faults", {"latency_ms": "fast"}),
    ("_sandbox/faults", {"error_rate": "NaN"}),
    ("_sandbox/faults", {"latency_ms": 1e300}),
    ("_sandbox/jsapi/pay", [1]),
    ("_sandbox/jsapi/pay", {"params": [1]}),
    ("_sandbox/jsapi/verify", ["x"]),
    ("_sandbox/clock", [1]),
    ("_sandbox/clock", {"shift_seconds": "soon"}),
    ("_sandbox/clock", {"shift_seconds": "inf"}),
    ("_sandbox/clock", {"shift_seconds": "nan"}),
    ("_sandbox/clock", {"shift_seconds": [1]}),
])
def test_control_api_answers_400_json_on_bad_payloads(sandbox_server, path, payload) -> None:
    resp = sandbox_server.control("POST", path, json=payload)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"]
    assert sandbox_server.sandbox.now() == pytest.approx(__import__("time").time(), abs=60)


@pytest.mark.parametrize("limit", ["ten", "-1", "1e3", "٣"])
def test_notifies_limit_must_be_a_number(sandbox_server, limit) -> None:
    resp = sandbox_server.control("GET", "_sandbox/notifies", params={"limit": limit})
    assert resp.status_code == 400 and resp.json()["error"]
    assert sandbox_server.control("GET", "_sandbox/notifies", params={"limit": "5"}).json() == []
