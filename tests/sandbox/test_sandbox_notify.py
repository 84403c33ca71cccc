"""Payment notifies: fields, signature, retry schedule, faults, restart."""
from __future__ import annotations


import pytest

from sandbox.wechatpay.engine import NOTIFY_RETRY_DELAYS
from sandbox.wechatpay.protocol import sign, wx_time
from tests.sandbox_fixtures import API_KEY, FAIL_REPLY, SandboxServer


def place_and_pay(server, merchant, out_trade_no="NOTIFY_1", sign_type=None, total_fee="1999"):
    # A 30-day time_expire keeps the order payable even at very high time scales.
    server.call("pay/unifiedorder", {
        "body": "notify test", "out_trade_no": out_trade_no, "total_fee": total_fee,
        "spbill_create_ip": "127.0.0.1", "notify_url": merchant.url, "trade_type": "NATIVE",
        "product_id": "P", "attach": "a=1", "time_start": wx_time(server.sandbox.now()),
        "time_expire": wx_time(server.sandbox.now() + 30 * 86400)}, sign_type=sign_type)
    resp = server.control("POST", "_sandbox/pay", json={"out_trade_no": out_trade_no})
    assert resp.status_code == 200, resp.text
    return resp.json()


def attempts(server):
    return server.notifies()[0]["attempt_log"]


def test_notify_carries_wechats_fields_signed(sandbox_server, merchant) -> None:
    paid = place_and_pay(sandbox_server, merchant)
    sandbox_server.wait_for(lambda: merchant.received)
    fields = merchant.received[0].fields
    assert fields["transaction_id"] == paid["transaction_id"]
    for name, value in {"return_code": "SUCCESS", "result_code": "SUCCESS",
                        "out_trade_no": "NOTIFY_1", "total_fee": "1999", "cash_fee": "1999",
                        "fee_type": "CNY", "trade_type": "NATIVE", "bank_type": "OTHERS",
                        "attach": "a=1", "openid": sandbox_server.openid()}.items():
        assert fields[name] == value
    assert fields["sign"] == sign(fields, API_KEY)
    assert len(fields["time_end"]) == 14
    log = sandbox_server.wait_for(lambda: sandbox_server.notifies()[0]["state"] == "acknowledged"
                                  and sandbox_server.notifies())
    assert log[0]["attempt_log"][0]["reply"].count("SUCCESS") == 1


def test_hmac_order_gets_hmac_notify_without_sign_type(sandbox_server, merchant) -> None:
    place_and_pay(sandbox_server, merchant, sign_type="HMAC-SHA256")
    sandbox_server.wait_for(lambda: merchant.received)
    fields = merchant.received[0].fields
    assert "sign_type" not in fields
    assert fields["sign"] == sign(fields, API_KEY, "HMAC-SHA256")


def test_retries_follow_the_scaled_schedule_and_stop_at_first_success(
        sandbox_server, merchant) -> None:
    merchant.replies = [FAIL_REPLY, "not xml at all", FAIL_REPLY]  # then SUCCESS
    place_and_pay(sandbox_server, merchant)
    sandbox_server.wait_for(lambda: sandbox_server.notifies()[0]["state"] == "acknowledged")
    log = attempts(sandbox_server)
    assert [a["acknowledged"] for a in log] == [False, False, False, True]
    scale = sandbox_server.sandbox.config.time_scale
    for previous, current, delay in zip(log, log[1:], NOTIFY_RETRY_DELAYS):
        assert current["due_at"] == pytest.approx(previous["sent_at"] + delay / scale, abs=1e-6)
        assert current["sent_at"] >= current["due_at"]
    assert len(merchant.received) == 4
    # No fifth delivery after the merchant said SUCCESS.
    sandbox_server.sandbox.shift_clock(86400)
    assert len(merchant.received) == 4 and len(attempts(sandbox_server)) == 4


def test_gives_up_after_the_full_schedule(tmp_path, merchant) -> None:
    # 24 h 4 min at scale 86400 is about one second.
    server = SandboxServer(tmp_path / "fast.sqlite3", time_scale=86400)
    try:
        merchant.default_reply = FAIL_REPLY
        place_and_pay(server, merchant)
        server.wait_for(lambda: server.notifies()[0]["state"] == "given_up")
        assert len(merchant.received) == 1 + len(NOTIFY_RETRY_DELAYS) == 16
    finally:
        server.stop()


def test_fault_drop_delivers_nothing(sandbox_server, merchant) -> None:
    sandbox_server.control("POST", "_sandbox/faults", json={"notify": "drop"})
    place_and_pay(sandbox_server, merchant)
    sandbox_server.wait_for(lambda: sandbox_server.notifies()[0]["state"] == "dropped")
    assert merchant.received == []
    # The merchant can still learn of the payment by querying.
    assert sandbox_server.call("pay/orderquery", {"out_trade_no": "NOTIFY_1"})[
        "trade_state"] == "SUCCESS"


def test_fault_duplicate_delivers_twice(sandbox_server, merchant) -> None:
    sandbox_server.control("POST", "_sandbox/faults", json={"notify": "duplicate"})
    place_and_pay(sandbox_server, merchant)
    sandbox_server.wait_for(lambda: len(merchant.received) == 2)
    a, b = (r.fields for r in merchant.received)
    assert a["transaction_id"] == b["transaction_id"] and a["nonce_str"] != b["nonce_str"]
    assert a["sign"] == sign(a, API_KEY) and b["sign"] == sign(b, API_KEY)


def test_fault_bad_sign_then_normal_again(sandbox_server, merchant) -> None:
    sandbox_server.control("POST", "_sandbox/faults", json={"notify": "bad_sign"})
    merchant.default_reply = FAIL_REPLY  # a careful merchant refuses forged notifies
    place_and_pay(sandbox_server, merchant)
    sandbox_server.wait_for(lambda: merchant.received)
    forged = merchant.received[0].fields
    assert forged["sign"] != sign(forged, API_KEY)
    sandbox_server.control("POST", "_sandbox/faults", json={"notify": "normal"})
    good = sandbox_server.wait_for(lambda: [r.fields for r in merchant.received
                                            if r.fields["sign"] == sign(r.fields, API_KEY)])
    assert good[0]["transaction_id"] == forged["transaction_id"]


def test_fault_tamper_amount_is_validly_signed_for_another_amount(sandbox_server, merchant) -> None:
    sandbox_server.control("POST", "_sandbox/faults", json={"notify": "tamper_amount"})
    place_and_pay(sandbox_server, merchant, total_fee="1999")
    sandbox_server.wait_for(lambda: merchant.received)
    fields = merchant.received[0].fields
    assert fields["total_fee"] != "1999" and fields["sign"] == sign(fields, API_KEY)


def test_faults_are_validated(sandbox_server) -> None:
    assert sandbox_server.control("POST", "_sandbox/faults",
                                  json={"notify": "explode"}).status_code == 400
    assert sandbox_server.control("POST", "_sandbox/faults",
                                  json={"error_rate": 2}).status_code == 400
    assert sandbox_server.control("GET", "_sandbox/faults").json() == {
        "latency_ms": 0, "error_rate": 0.0, "notify": "normal"}


def test_error_rate_and_latency(sandbox_server) -> None:
    sandbox_server.control("POST", "_sandbox/faults", json={"error_rate": 1})
    reply = sandbox_server.call("pay/orderquery", {"out_trade_no": "ANY_ORDER"})
    assert (reply["return_code"], reply["result_code"], reply["err_code"]) == (
        "SUCCESS", "FAIL", "SYSTEMERROR")
    assert reply["sign"] == sign(reply, API_KEY)
    sandbox_server.control("POST", "_sandbox/faults", json={"error_rate": 0, "latency_ms": 300})
    import time
    started = time.monotonic()
    sandbox_server.call("pay/orderquery", {"out_trade_no": "ANY_ORDER"})
    assert time.monotonic() - started >= 0.3


def test_pending_retries_survive_a_restart(tmp_path, merchant) -> None:
    db = tmp_path / "restart.sqlite3"
    first = SandboxServer(db, time_scale=1)  # the first retry is 15 real seconds away
    merchant.replies = [FAIL_REPLY]
    place_and_pay(first, merchant)
    first.wait_for(lambda: first.notifies()[0]["attempts"] == 1)
    first.stop()
    assert len(merchant.received) == 1

    second = SandboxServer(db, time_scale=1)
    try:
        assert second.notifies()[0]["state"] == "pending"
        second.sandbox.shift_clock(15)  # the retry is now due: the new process sends it
        second.wait_for(lambda: second.notifies()[0]["state"] == "acknowledged")
        assert len(merchant.received) == 2
        log = second.notifies()[0]["attempt_log"]
        assert log[1]["due_at"] == pytest.approx(log[0]["sent_at"] + 15, abs=1e-6)
        assert second.call("pay/orderquery", {"out_trade_no": "NOTIFY_1"})[
            "trade_state"] == "SUCCESS"
    finally:
        second.stop()


def test_reset_forgets_everything(sandbox_server, merchant) -> None:
    place_and_pay(sandbox_server, merchant)
    sandbox_server.control("POST", "_sandbox/faults", json={"notify": "drop"})
    assert sandbox_server.control("POST", "_sandbox/reset").json() == {"ok": True}
    assert sandbox_server.call("pay/orderquery", {"out_trade_no": "NOTIFY_1"})[
        "err_code"] == "ORDERNOTEXIST"
    assert sandbox_server.notifies() == []
    assert sandbox_server.control("GET", "_sandbox/faults").json()["notify"] == "normal"


def test_refunds_declarations_and_faults_survive_a_restart(tmp_path, merchant) -> None:
    db = tmp_path / "restart2.sqlite3"
    first = SandboxServer(db, time_scale=1)  # refund and customs take a real minute
    paid = place_and_pay(first, merchant, out_trade_no="RESTART_2")
    first.call("secapi/pay/refund", {"out_trade_no": "RESTART_2", "out_refund_no": "RF-R2",
                                     "total_fee": "1999", "refund_fee": "999"})
    first.call("cgi-bin/mch/customs/customdeclareorder", {
        "out_trade_no": "RESTART_2", "transaction_id": paid["transaction_id"],
        "customs": "NINGBO", "mch_customs_no": "3302460000"})
    first.control("POST", "_sandbox/faults", json={"latency_ms": 1, "notify": "duplicate"})
    first.stop()

    second = SandboxServer(db, time_scale=1)
    try:
        assert second.control("GET", "_sandbox/faults").json()["notify"] == "duplicate"
        assert second.call("pay/refundquery", {"out_refund_no": "RF-R2"})[
            "refund_status_0"] == "PROCESSING"
        second.sandbox.shift_clock(60)
        second.wait_for(lambda: second.call("pay/refundquery", {"out_refund_no": "RF-R2"})[
            "refund_status_0"] == "SUCCESS")
        declared = second.wait_for(lambda: (q := second.call(
            "cgi-bin/mch/customs/customdeclarequery",
            {"out_trade_no": "RESTART_2", "customs": "NINGBO"}))["state_0"] == "SUCCESS" and q)
        assert declared["mch_customs_no_0"] == "3302460000"
    finally:
        second.stop()


def test_two_simulators_over_one_file_deliver_each_notify_once(tmp_path, merchant) -> None:
    db = tmp_path / "shared.sqlite3"
    first, second = SandboxServer(db), SandboxServer(db)
    try:
        for n in range(5):
            place_and_pay(first if n % 2 else second, merchant, out_trade_no=f"SHARED_{n}")
        first.wait_for(lambda: all(x["state"] == "acknowledged" for x in first.notifies())
                       and len(first.notifies()) == 5)
        assert sorted(r.fields["out_trade_no"] for r in merchant.received) == [
            f"SHARED_{n}" for n in range(5)]
    finally:
        first.stop()
        second.stop()
