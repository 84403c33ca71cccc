"""unifiedorder, orderquery, closeorder and paying, through real HTTP."""
from __future__ import annotations

import json
import re
import time

import pytest
import requests

from sandbox.wechatpay.engine import CLOSE_MIN_AGE_SECONDS
from sandbox.wechatpay.protocol import wx_time


def order(out_trade_no: str = "KJ20261126001", trade_type: str = "NATIVE", **extra):
    fields = {"body": "Kuajing-奶粉 x2", "out_trade_no": out_trade_no, "total_fee": "25900",
              "spbill_create_ip": "10.0.0.8", "notify_url": "http://127.0.0.1:9/notify",
              "trade_type": trade_type, "attach": "company=7"}
    if trade_type == "NATIVE":
        fields["product_id"] = "SKU-1"
    fields.update(extra)
    return {k: v for k, v in fields.items() if v is not None}


def test_native_jsapi_and_mweb_prepays(sandbox_server) -> None:
    native = sandbox_server.call("pay/unifiedorder", order("NATIVE_1"))
    assert native["result_code"] == "SUCCESS" and native["trade_type"] == "NATIVE"
    assert re.fullmatch(r"weixin://wxpay/bizpayurl\?pr=\S+", native["code_url"])
    assert re.fullmatch(r"wx\d{14}[0-9a-f]{20}", native["prepay_id"])

    jsapi = sandbox_server.call("pay/unifiedorder",
                                order("JSAPI_1", "JSAPI", openid=sandbox_server.openid()))
    assert jsapi["result_code"] == "SUCCESS" and "code_url" not in jsapi and jsapi["prepay_id"]

    scene = json.dumps({"h5_info": {"type": "Wap", "wap_url": "https://kj.example",
                                    "wap_name": "Kuajing"}})
    mweb = sandbox_server.call("pay/unifiedorder", order("MWEB_1", "MWEB", scene_info=scene))
    assert mweb["mweb_url"].startswith(sandbox_server.url + "_sandbox/mweb?prepay_id=")
    page = requests.get(mweb["mweb_url"])
    assert page.status_code == 200 and "259.00" in page.text


@pytest.mark.parametrize("change, message", [
    ({"out_trade_no": "short"}, "out_trade_no参数格式错误"),
    ({"out_trade_no": "has space 123"}, "out_trade_no参数格式错误"),
    ({"out_trade_no": "X" * 33}, "out_trade_no参数格式错误"),
    ({"body": "字" * 43}, "body参数长度有误"),   # 129 bytes of UTF-8
    ({"attach": "a" * 128}, "attach参数长度有误"),
    ({"total_fee": "0"}, "total_fee参数格式错误"),
    ({"total_fee": "1.5"}, "total_fee参数格式错误"),
    ({"notify_url": "http://127.0.0.1/n?x=1"}, "notify_url参数格式错误"),
    ({"trade_type": "APPLET"}, "trade_type参数格式错误"),
    ({"product_id": None}, "缺少参数 product_id"),
    ({"trade_type": "JSAPI", "product_id": None}, "JSAPI支付必须传openid"),
    ({"trade_type": "MWEB"}, "缺少参数 scene_info"),
])
def test_field_limits(sandbox_server, change, message) -> None:
    fields = {**order(), **change}
    reply = sandbox_server.call("pay/unifiedorder", {k: v for k, v in fields.items() if v})
    assert (reply["return_code"], reply["return_msg"]) == ("FAIL", message)


def test_allowed_out_trade_no_characters_and_length(sandbox_server) -> None:
    for out_trade_no in ("a_b-c|d*e", "9" * 32, "ABCDEF"):
        assert sandbox_server.call("pay/unifiedorder", order(out_trade_no))["result_code"] == \
            "SUCCESS"


def test_jsapi_openid_must_belong_to_the_appid(sandbox_server) -> None:
    reply = sandbox_server.call("pay/unifiedorder", order("JSAPI_2", "JSAPI", openid="o" + "x" * 27))
    assert (reply["result_code"], reply["err_code"]) == ("FAIL", "PARAM_ERROR")


def test_repeat_is_idempotent_and_changes_are_invalid(sandbox_server) -> None:
    first = sandbox_server.call("pay/unifiedorder", order())
    again = sandbox_server.call("pay/unifiedorder", order(time_start="20261126100000"))
    assert (again["prepay_id"], again["code_url"]) == (first["prepay_id"], first["code_url"])
    changed = sandbox_server.call("pay/unifiedorder", order(total_fee="26000"))
    assert (changed["result_code"], changed["err_code"]) == ("FAIL", "INVALID_REQUEST")


def test_orderquery_through_the_life_of_an_order(sandbox_server) -> None:
    prepay = sandbox_server.call("pay/unifiedorder", order())
    q = sandbox_server.call("pay/orderquery", {"out_trade_no": "KJ20261126001"})
    assert (q["trade_state"], q["total_fee"], q["attach"]) == ("NOTPAY", "25900", "company=7")
    assert "transaction_id" not in q

    resp = sandbox_server.control("POST", "_sandbox/pay",
                                  json={"code_url": prepay["code_url"], "outcome": "PAYERROR"})
    assert resp.json()["trade_state"] == "PAYERROR" and resp.json()["transaction_id"] is None
    q = sandbox_server.call("pay/orderquery", {"out_trade_no": "KJ20261126001"})
    assert q["trade_state"] == "PAYERROR"

    # A payer may try again after a failed payment.
    paid = sandbox_server.control("POST", "_sandbox/pay", json={
        "code_url": prepay["code_url"], "openid": sandbox_server.openid("bob"),
        "outcome": "SUCCESS"}).json()
    tid = paid["transaction_id"]
    assert re.fullmatch(r"4200\d{24}", tid)
    q = sandbox_server.call("pay/orderquery", {"transaction_id": tid,
                                               "out_trade_no": "ignored-because-tid-wins"})
    assert q["trade_state"] == "SUCCESS" and q["transaction_id"] == tid
    assert (q["cash_fee"], q["bank_type"], q["openid"]) == ("25900", "OTHERS",
                                                            sandbox_server.openid("bob"))
    assert re.fullmatch(r"\d{14}", q["time_end"])

    assert sandbox_server.control("POST", "_sandbox/pay", json={
        "out_trade_no": "KJ20261126001"}).status_code == 409
    again = sandbox_server.call("pay/unifiedorder", order())
    assert again["err_code"] == "ORDERPAID"


def test_orderquery_unknown(sandbox_server) -> None:
    q = sandbox_server.call("pay/orderquery", {"out_trade_no": "NOPE_123"})
    assert (q["result_code"], q["err_code"]) == ("FAIL", "ORDERNOTEXIST")


def test_closeorder_waits_five_scaled_minutes(sandbox_server) -> None:
    config = sandbox_server.sandbox.config
    sandbox_server.call("pay/unifiedorder", order("CLOSE_ME"))
    config.time_scale = 1  # five real minutes: surely too early, however slow the machine
    early = sandbox_server.call("pay/closeorder", {"out_trade_no": "CLOSE_ME"})
    assert (early["result_code"], early["err_code"]) == ("FAIL", "SYSTEMERROR")
    config.time_scale = 600  # five minutes are half a second
    time.sleep(CLOSE_MIN_AGE_SECONDS / config.time_scale + 0.05)
    closed = sandbox_server.call("pay/closeorder", {"out_trade_no": "CLOSE_ME"})
    assert closed["result_code"] == "SUCCESS"
    assert sandbox_server.call("pay/orderquery", {"out_trade_no": "CLOSE_ME"})[
        "trade_state"] == "CLOSED"
    assert sandbox_server.call("pay/closeorder", {"out_trade_no": "CLOSE_ME"})[
        "err_code"] == "ORDERCLOSED"
    again = sandbox_server.call("pay/unifiedorder", order("CLOSE_ME"))
    assert (again["err_code"], again["err_code_des"]) == ("ORDERCLOSED", "该订单已关闭")
    assert sandbox_server.control("POST", "_sandbox/pay",
                                  json={"out_trade_no": "CLOSE_ME"}).status_code == 409


def test_closeorder_of_a_paid_order(sandbox_server) -> None:
    sandbox_server.call("pay/unifiedorder", order("PAID_1"))
    sandbox_server.control("POST", "_sandbox/pay", json={"out_trade_no": "PAID_1"})
    sandbox_server.sandbox.shift_clock(CLOSE_MIN_AGE_SECONDS)
    assert sandbox_server.call("pay/closeorder", {"out_trade_no": "PAID_1"})[
        "err_code"] == "ORDERPAID"
    assert sandbox_server.call("pay/closeorder", {"out_trade_no": "NOPE_123"})[
        "err_code"] == "ORDERNOTEXIST"


def test_expired_order_cannot_be_paid(sandbox_server) -> None:
    # time_expire 10 minutes after time_start: at scale 600 that is one real second.
    now = sandbox_server.sandbox.now()
    placed = sandbox_server.call("pay/unifiedorder", order(
        "EXPIRES_1", time_start=wx_time(now), time_expire=wx_time(now + 600)))
    assert placed["result_code"] == "SUCCESS"
    sandbox_server.sandbox.shift_clock(2 * 600)
    resp = sandbox_server.control("POST", "_sandbox/pay", json={"out_trade_no": "EXPIRES_1"})
    assert resp.status_code == 409 and "expired" in resp.json()["error"]
    assert sandbox_server.call("pay/orderquery", {"out_trade_no": "EXPIRES_1"})[
        "trade_state"] == "NOTPAY"


def test_time_expire_must_be_at_least_five_minutes_away(sandbox_server) -> None:
    now = sandbox_server.sandbox.now()
    for expire in (now + 299, now - 3600):
        reply = sandbox_server.call("pay/unifiedorder", order("SHORT_1", time_expire=wx_time(expire)))
        assert (reply["result_code"], reply["err_code"], reply["err_code_des"]) == (
            "FAIL", "PARAM_ERROR", "time_expire时间过短，刷卡至少1分钟，其他5分钟")
    assert sandbox_server.sandbox.store.one("SELECT * FROM orders") is None
    ok = sandbox_server.call("pay/unifiedorder", order("SHORT_2", time_expire=wx_time(now + 330)))
    assert ok["result_code"] == "SUCCESS"
