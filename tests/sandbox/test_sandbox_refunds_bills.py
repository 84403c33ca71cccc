"""Refunds, refund notifies and the downloadbill text."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import xmltodict

from sandbox.wechatpay.notify import decrypt_req_info
from sandbox.wechatpay.protocol import BEIJING
from tests.sandbox_fixtures import API_KEY, APPID, MCH_ID


def paid_order(server, out_trade_no="REFUND_1", total_fee="10000", notify_url="http://127.0.0.1:9/n"):
    server.call("pay/unifiedorder", {
        "body": "退款测试", "out_trade_no": out_trade_no, "total_fee": total_fee,
        "spbill_create_ip": "127.0.0.1", "notify_url": notify_url, "trade_type": "NATIVE",
        "product_id": "P", "attach": "x"})
    return server.control("POST", "_sandbox/pay", json={"out_trade_no": out_trade_no}).json()


def refund(server, out_refund_no, refund_fee, total_fee="10000", **extra):
    return server.call("secapi/pay/refund", {"out_trade_no": "REFUND_1",
                                             "out_refund_no": out_refund_no,
                                             "total_fee": total_fee, "refund_fee": refund_fee,
                                             **extra})


def test_refund_is_accepted_then_succeeds(sandbox_server) -> None:
    paid_order(sandbox_server)
    # Unscaled, the refund stays PROCESSING for a real minute: long enough to look at.
    sandbox_server.sandbox.config.time_scale = 1
    r = refund(sandbox_server, "RF1", "3000")
    assert r["result_code"] == "SUCCESS" and re.fullmatch(r"\d{29}", r["refund_id"])
    q = sandbox_server.call("pay/refundquery", {"refund_id": r["refund_id"]})
    assert (q["refund_count"], q["refund_status_0"]) == ("1", "PROCESSING")
    assert sandbox_server.call("pay/orderquery", {"out_trade_no": "REFUND_1"})[
        "trade_state"] == "REFUND"
    sandbox_server.sandbox.shift_clock(60)
    sandbox_server.wait_for(lambda: sandbox_server.call(
        "pay/refundquery", {"out_refund_no": "RF1"})["refund_status_0"] == "SUCCESS")
    q = sandbox_server.call("pay/refundquery", {"out_refund_no": "RF1"})
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", q["refund_success_time_0"])
    assert q["refund_recv_accout_0"]


def test_same_out_refund_no_refunds_once(sandbox_server) -> None:
    paid_order(sandbox_server)
    first = refund(sandbox_server, "RF1", "3000")
    again = refund(sandbox_server, "RF1", "3000")
    assert again["refund_id"] == first["refund_id"]
    different = refund(sandbox_server, "RF1", "3500")
    assert (different["result_code"], different["err_code"]) == ("FAIL", "PARAM_ERROR")
    q = sandbox_server.call("pay/refundquery", {"out_trade_no": "REFUND_1"})
    assert q["refund_count"] == "1" and q["refund_fee"] == "3000"


def test_refunds_never_exceed_what_was_paid(sandbox_server) -> None:
    paid_order(sandbox_server)
    assert refund(sandbox_server, "RF1", "6000")["result_code"] == "SUCCESS"
    too_much = refund(sandbox_server, "RF2", "4001")
    assert (too_much["result_code"], too_much["err_code"]) == ("FAIL", "NOTENOUGH")
    assert refund(sandbox_server, "RF3", "4000")["result_code"] == "SUCCESS"
    q = sandbox_server.call("pay/refundquery", {"out_trade_no": "REFUND_1"})
    assert q["refund_count"] == "2"
    assert [q["out_refund_no_0"], q["out_refund_no_1"]] == ["RF1", "RF3"]
    assert [q["refund_fee_0"], q["refund_fee_1"]] == ["6000", "4000"]


def test_refund_errors(sandbox_server) -> None:
    unknown = refund(sandbox_server, "RF1", "100")
    assert unknown["err_code"] == "ORDERNOTEXIST"
    paid_order(sandbox_server)
    assert refund(sandbox_server, "RF1", "100", total_fee="9999")["err_code"] == "PARAM_ERROR"
    assert refund(sandbox_server, "R" * 65, "100")["return_msg"] == "out_refund_no参数长度有误"
    assert sandbox_server.call("pay/refundquery", {"out_refund_no": "NONE"})[
        "err_code"] == "REFUNDNOTEXIST"


def test_at_most_fifty_refunds_per_order(sandbox_server) -> None:
    paid_order(sandbox_server)
    for n in range(50):
        assert refund(sandbox_server, f"RF{n}", "1")["result_code"] == "SUCCESS"
    assert refund(sandbox_server, "RF50", "1")["err_code"] == "PARAM_ERROR"


def test_refund_notify_is_encrypted_with_md5_of_key(sandbox_server, merchant) -> None:
    paid_order(sandbox_server)
    r = refund(sandbox_server, "RF1", "2500", notify_url=merchant.url)
    sandbox_server.wait_for(lambda: merchant.received)
    outer = merchant.received[0].fields
    assert (outer["return_code"], outer["appid"], outer["mch_id"]) == ("SUCCESS", APPID, MCH_ID)
    assert "sign" not in outer
    inner = xmltodict.parse(decrypt_req_info(outer["req_info"], API_KEY))["root"]
    assert (inner["refund_id"], inner["out_refund_no"], inner["refund_fee"],
            inner["refund_status"]) == (r["refund_id"], "RF1", "2500", "SUCCESS")
    assert inner["total_fee"] == "10000" and inner["success_time"]


def test_refund_can_be_closed_from_the_payer_side(sandbox_server) -> None:
    paid_order(sandbox_server)
    sandbox_server.sandbox.config.time_scale = 1  # keep it PROCESSING for the test
    r = refund(sandbox_server, "RF1", "100")
    resp = sandbox_server.control("POST", f"_sandbox/refunds/{r['refund_id']}/REFUNDCLOSE",
                                  json={})
    assert resp.json() == {"ok": True}
    assert sandbox_server.call("pay/refundquery", {"refund_id": r["refund_id"]})[
        "refund_status_0"] == "REFUNDCLOSE"


def _bill_day(server) -> str:
    """Move the sandbox clock to 09:00:01 Beijing tomorrow; return today's date."""
    now = datetime.fromtimestamp(server.sandbox.now(), BEIJING)
    ready = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(),
                             BEIJING) + timedelta(hours=9, seconds=1)
    server.sandbox.shift_clock(ready.timestamp() - server.sandbox.now())
    return now.strftime("%Y%m%d")


def _rows(text: str) -> list[list[str]]:
    return [line[1:].split(",`") for line in text.strip().split("\r\n") if line.startswith("`")]


def test_downloadbill_all(sandbox_server) -> None:
    paid = paid_order(sandbox_server)
    r = refund(sandbox_server, "RF1", "2500")
    paid_order(sandbox_server, "SECOND_1", total_fee="1")
    sandbox_server.call("pay/unifiedorder", {
        "body": "unpaid", "out_trade_no": "UNPAID_1", "total_fee": "5",
        "spbill_create_ip": "127.0.0.1", "notify_url": "http://127.0.0.1:9/n",
        "trade_type": "NATIVE", "product_id": "P"})
    today = datetime.fromtimestamp(sandbox_server.sandbox.now(), BEIJING).strftime("%Y%m%d")
    early = sandbox_server.call("pay/downloadbill", {"bill_date": today, "bill_type": "ALL"})
    assert (early["return_code"], early["error_code"]) == ("FAIL", "20001")
    day = _bill_day(sandbox_server)
    text = sandbox_server.call("pay/downloadbill", {"bill_date": day, "bill_type": "ALL"}, raw=True)
    lines = text.split("\r\n")
    assert lines[0].startswith("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号")
    assert lines[0].endswith("手续费,费率,订单金额,申请退款金额,费率备注")
    rows = _rows(text)
    assert len(rows) == 4  # two payments, one refund, one summary
    head = lines[0].split(",")
    details = [dict(zip(head, row)) for row in rows[:3]]
    payment = next(d for d in details if d["商户订单号"] == "REFUND_1" and d["交易状态"] == "SUCCESS")
    assert (payment["微信订单号"], payment["应结订单金额"], payment["手续费"], payment["费率"]) == (
        paid["transaction_id"], "100.00", "0.60000", "0.60%")
    refund_row = next(d for d in details if d["交易状态"] == "REFUND")
    assert (refund_row["微信退款单号"], refund_row["退款金额"], refund_row["手续费"]) == (
        r["refund_id"], "25.00", "-0.15000")
    tiny = next(d for d in details if d["商户订单号"] == "SECOND_1")
    assert (tiny["应结订单金额"], tiny["手续费"]) == ("0.01", "0.00000")
    assert lines[-3] == "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
    assert rows[3] == ["3", "100.01", "25.00", "0.00", "0.45000", "100.01", "25.00"]


def test_downloadbill_success_and_refund_types(sandbox_server) -> None:
    paid_order(sandbox_server)
    refund(sandbox_server, "RF1", "2500")
    day = _bill_day(sandbox_server)
    success = sandbox_server.call("pay/downloadbill", {"bill_date": day, "bill_type": "SUCCESS"},
                                  raw=True)
    head = success.split("\r\n")[0].split(",")
    assert "退款金额" not in head and len(_rows(success)) == 2
    assert success.split("\r\n")[2] == "总交易单数,应结订单总金额,手续费总金额,订单总金额"
    refunds = sandbox_server.call("pay/downloadbill", {"bill_date": day, "bill_type": "REFUND"},
                                  raw=True)
    head = refunds.split("\r\n")[0].split(",")
    assert head[head.index("代金券金额") + 1: head.index("代金券金额") + 3] == ["退款申请时间", "退款成功时间"]
    assert [r[head.index("交易状态")] for r in _rows(refunds)[:-1]] == ["REFUND"]


def test_no_bill_exist(sandbox_server) -> None:
    day = _bill_day(sandbox_server)
    reply = sandbox_server.call("pay/downloadbill", {"bill_date": day, "bill_type": "ALL"})
    assert reply == {"return_code": "FAIL", "return_msg": "No Bill Exist", "error_code": "20002"}


def test_refund_after_a_year_is_overdue(sandbox_server) -> None:
    paid_order(sandbox_server)
    sandbox_server.sandbox.shift_clock(366 * 86400)
    assert refund(sandbox_server, "RF1", "100")["err_code"] == "TRADE_OVERDUE"


def test_refund_notify_faults(sandbox_server, merchant) -> None:
    paid_order(sandbox_server)
    sandbox_server.control("POST", "_sandbox/faults", json={"notify": "tamper_amount"})
    refund(sandbox_server, "RF1", "2500", notify_url=merchant.url)
    sandbox_server.wait_for(lambda: merchant.received)
    inner = xmltodict.parse(decrypt_req_info(merchant.received[0].fields["req_info"], API_KEY))
    assert inner["root"]["refund_fee"] == "2501"

    sandbox_server.control("POST", "_sandbox/faults", json={"notify": "drop"})
    refund(sandbox_server, "RF2", "100", notify_url=merchant.url)
    sandbox_server.wait_for(lambda: any(n["state"] == "dropped" for n in sandbox_server.notifies()))
    assert len(merchant.received) == 1


def test_faults_form_on_the_dashboard(sandbox_server) -> None:
    import requests
    resp = requests.post(sandbox_server.url + "_sandbox/faults",
                         data={"latency_ms": "5", "error_rate": "0.25", "notify": "duplicate"})
    assert resp.status_code == 200 and "故障设置已保存" in resp.text  # redirected to the page
    assert sandbox_server.control("GET", "_sandbox/faults").json() == {
        "latency_ms": 5, "error_rate": 0.25, "notify": "duplicate"}
    reset = requests.post(sandbox_server.url + "_sandbox/reset", data={"confirm": "1"},
                          cookies={"sandbox_lang": "en"})
    assert "sandbox reset" in reset.text
