"""Customs declaration at the wire: customdeclareorder and customdeclarequery."""
from __future__ import annotations

import pytest

from sandbox.wechatpay.protocol import sign
from tests.sandbox.test_sandbox_payer import paid
from sandbox.wechatpay.engine import CUSTOMS_PROCESSING_SECONDS
from tests.sandbox_fixtures import API_KEY, SandboxServer

DECLARE = "cgi-bin/mch/customs/customdeclareorder"
QUERY = "cgi-bin/mch/customs/customdeclarequery"
ALICE = {"cert_type": "IDCARD", "cert_id": "110101199003077512", "name": "张三"}
SPLIT = {"sub_order_no": "SUB1", "fee_type": "CNY", "order_fee": "500", "product_fee": "400",
         "transport_fee": "100"}


def declare(server, tid, out_trade_no="CUSTOMS_1", **extra):
    return server.call(DECLARE, {
        "out_trade_no": out_trade_no, "transaction_id": tid, "customs": "HANGZHOU_ZS",
        "mch_customs_no": "3301960000", **extra})


def settled(server, query):
    """The query reply once customs has judged every declaration in it."""
    return server.wait_for(lambda: (q := server.call(QUERY, query)) and all(
        q[f"state_{n}"] != "SUBMITTED" for n in range(int(q["count"]))) and q)


def test_customs_declaration_goes_submitted_then_success(sandbox_server) -> None:
    tid = paid(sandbox_server)["transaction_id"]
    reply = declare(sandbox_server, tid, **ALICE)
    assert (reply["result_code"], reply["state"], reply["cert_check_result"]) == (
        "SUCCESS", "SUBMITTED", "SAME")
    done = settled(sandbox_server, {"out_trade_no": "CUSTOMS_1", "customs": "HANGZHOU_ZS"})
    assert (done["count"], done["state_0"], done["mch_customs_no_0"]) == (
        "1", "SUCCESS", "3301960000")


def test_customs_identity_mismatch_fails(sandbox_server) -> None:
    tid = paid(sandbox_server)["transaction_id"]
    reply = declare(sandbox_server, tid, **{**ALICE, "name": "李四"})
    assert reply["cert_check_result"] == "DIFFERENT"
    done = settled(sandbox_server, {"transaction_id": tid, "customs": "HANGZHOU_ZS"})
    assert done["state_0"] == "FAIL" and done["explanation_0"]


def test_customs_split_orders_and_errors(sandbox_server) -> None:
    tid = paid(sandbox_server)["transaction_id"]
    no_cert = declare(sandbox_server, tid)
    assert no_cert["cert_check_result"] == "UNCHECKED"
    assert declare(sandbox_server, tid, **SPLIT)["sub_order_id"]
    bad_sum = declare(sandbox_server, tid, **{**SPLIT, "sub_order_no": "SUB2", "order_fee": "501"})
    assert (bad_sum["result_code"], bad_sum["err_code"]) == ("FAIL", "PARAM_ERROR")
    assert declare(sandbox_server, "4200" + "0" * 24)["err_code"] == "ORDERNOTEXIST"
    q = sandbox_server.call(QUERY, {"out_trade_no": "CUSTOMS_1", "customs": "HANGZHOU_ZS"})
    assert q["count"] == "2" and q["sub_order_no_1"] == "SUB1" and q["order_fee_1"] == "500"


@pytest.mark.parametrize("path, fields", [
    (DECLARE, {"out_trade_no": "CUSTOMS_1", "customs": "HANGZHOU_ZS",
               "mch_customs_no": "3301960000"}),
    (QUERY, {"out_trade_no": "CUSTOMS_1", "customs": "HANGZHOU_ZS"}),
])
@pytest.mark.parametrize("extra", [{"nonce_str": "ibuaiVcKdpRxkhJA"}, {"version": "2.0"}])
def test_a_field_outside_the_documented_set_fails_the_signature(sandbox_server, path, fields,
                                                                  extra) -> None:
    tid = paid(sandbox_server)["transaction_id"]
    # Correctly signed over everything sent, as wechatpy's post would sign it: WeChat
    # signs these calls over their documented fields only, so the check fails.
    reply = sandbox_server.call(path, {**fields, "transaction_id": tid, **extra})
    assert (reply["return_code"], reply["return_msg"]) == ("FAIL", "签名错误")
    assert sandbox_server.sandbox.store.one("SELECT * FROM declarations") is None


def test_customs_replies_carry_no_nonce_and_are_signed(sandbox_server) -> None:
    tid = paid(sandbox_server)["transaction_id"]
    reply = declare(sandbox_server, tid)
    assert reply["result_code"] == "SUCCESS" and "nonce_str" not in reply
    assert reply["sign"] == sign(reply, API_KEY)


def test_identity_comes_whole_and_well_formed(sandbox_server) -> None:
    tid = paid(sandbox_server)["transaction_id"]
    partial = declare(sandbox_server, tid, cert_type="IDCARD", cert_id=ALICE["cert_id"])
    assert (partial["return_code"], partial["return_msg"]) == ("FAIL", "缺少参数 name")
    for bad in ({"cert_type": "PASSPORT"}, {"cert_id": "11010119900307751"},
                {"cert_id": "11010119900307751x"}):
        reply = declare(sandbox_server, tid, **{**ALICE, **bad})
        assert (reply["result_code"], reply["err_code"]) == ("FAIL", "PARAM_ERROR"), bad
        assert next(iter(bad)) in reply["err_code_des"]
    too_long = declare(sandbox_server, tid, **{**ALICE, "name": "张" * 22})
    assert (too_long["return_code"], too_long["return_msg"]) == ("FAIL", "name参数长度有误")
    assert sandbox_server.sandbox.store.one("SELECT * FROM declarations") is None


def test_split_sub_orders_are_declared_and_queried_one_by_one(sandbox_server) -> None:
    tid = paid(sandbox_server)["transaction_id"]
    first = declare(sandbox_server, tid, **SPLIT, **ALICE)
    second = declare(sandbox_server, tid, **{**SPLIT, "sub_order_no": "SUB2", "order_fee": "388",
                                             "product_fee": "388", "transport_fee": "0"})
    assert first["sub_order_no"] == "SUB1" and first["sub_order_id"] != second["sub_order_id"]
    no_fee_type = declare(sandbox_server, tid, **{**SPLIT, "sub_order_no": "SUB3",
                                                  "fee_type": None})
    assert (no_fee_type["err_code"], no_fee_type["err_code_des"]) == (
        "PARAM_ERROR", "拆单时fee_type必须为CNY")
    lacking = declare(sandbox_server, tid, **{**SPLIT, "sub_order_no": "SUB3",
                                              "transport_fee": None})
    assert lacking["return_msg"] == "缺少参数 transport_fee"
    one = sandbox_server.call(QUERY, {"sub_order_no": "SUB2", "customs": "HANGZHOU_ZS"})
    assert (one["count"], one["sub_order_id_0"], one["transport_fee_0"]) == (
        "1", second["sub_order_id"], "0")
    by_id = sandbox_server.call(QUERY, {"sub_order_id": first["sub_order_id"],
                                        "customs": "HANGZHOU_ZS"})
    assert (by_id["count"], by_id["product_fee_0"], by_id["fee_type_0"]) == ("1", "400", "CNY")


@pytest.fixture
def slow_customs(tmp_path):
    """A simulator whose customs take their real minute, so a test sees SUBMITTED for sure
    (however loaded the machine) and moves the sandbox clock to have it decided."""
    server = SandboxServer(tmp_path / "slow.sqlite3", time_scale=1.0)
    yield server
    server.stop()


def decided(server, query):
    server.control("POST", "_sandbox/clock", json={"shift_seconds": CUSTOMS_PROCESSING_SECONDS + 1})
    return settled(server, query)


def test_modify_voids_the_declaration_and_changes_only_number_duty_and_fees(slow_customs) -> None:
    sandbox_server = slow_customs
    tid = paid(sandbox_server)["transaction_id"]
    query = {"transaction_id": tid, "customs": "HANGZHOU_ZS"}
    undeclared = declare(sandbox_server, tid, action_type="MODIFY")
    assert (undeclared["err_code"], undeclared["err_code_des"]) == (
        "PARAM_ERROR", "该订单尚未申报，不能修改申报")
    first = declare(sandbox_server, tid, **ALICE)
    assert decided(sandbox_server, query)["state_0"] == "SUCCESS"

    changed = {"mch_customs_no": "3301960001", "duty": "120"}
    plain_add = declare(sandbox_server, tid, **ALICE, **changed)
    assert plain_add["err_code"] == "PARAM_ERROR" and "MODIFY" in plain_add["err_code_des"]
    other_buyer = declare(sandbox_server, tid, action_type="MODIFY", **{**ALICE, "name": "李四"},
                          **changed)
    assert other_buyer["err_code"] == "PARAM_ERROR" and "身份信息" in other_buyer["err_code_des"]

    modified = declare(sandbox_server, tid, action_type="MODIFY", **changed)
    assert (modified["state"], modified["sub_order_id"], modified["cert_check_result"]) == (
        "SUBMITTED", first["sub_order_id"], "SAME")
    pending = sandbox_server.call(QUERY, query)
    assert (pending["count"], pending["state_0"], pending["mch_customs_no_0"],
            pending["duty_0"]) == ("1", "SUBMITTED", "3301960001", "120")
    assert declare(sandbox_server, tid, action_type="MODIFY", **changed)["state"] == "SUBMITTED"
    done = decided(sandbox_server, query)
    assert (done["count"], done["state_0"], done["mch_customs_no_0"]) == (
        "1", "SUCCESS", "3301960001")


def test_every_sandbox_payer_has_an_identity_number_a_portal_accepts():
    """A portal checks GB 11643 before it declares; a payer it must refuse could never match."""
    from app.core.validators import normalize_cn_id
    from sandbox.wechatpay.engine import SANDBOX_USERS

    assert [u.cert_id for u in SANDBOX_USERS if normalize_cn_id(u.cert_id) != u.cert_id] == []
