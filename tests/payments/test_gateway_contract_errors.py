"""More of WeChat's states and errors through the adapter (real wechatpy over HTTP)."""
from __future__ import annotations

import pytest

from app.payments.gateway import (
    CustomsRequest,
    GatewayRejected,
    PrepayRequest,
    RefundRejected,
    RefundRequest,
    TradeState,
    TradeType,
)
from sandbox.wechatpay.engine import TRADE_OVERDUE_SECONDS
from tests.payments.test_gateway_contract import native, paid_order
from tests.payments.test_gateway_contract_more import bill_day, paid


@pytest.mark.parametrize("outcome", ["USERPAYING", "PAYERROR"])
def test_userpaying_and_payerror_are_unpaid_states(gateway, sandbox_server, outcome) -> None:
    prepay = gateway.prepay(native())
    resp = sandbox_server.control("POST", "_sandbox/pay", json={
        "code_url": prepay.code_url, "outcome": outcome})
    assert resp.json()["trade_state"] == outcome
    status = gateway.query_order(out_trade_no="KJ-ORDER-0001")
    assert status.trade_state is TradeState(outcome) and not status.is_paid
    assert status.transaction_id is None and status.paid_at is None
    assert status.trade_state_desc
    # Neither state ends the order: the payer can still pay it.
    resp = sandbox_server.control("POST", "_sandbox/pay", json={"code_url": prepay.code_url})
    assert resp.status_code == 200
    assert gateway.query_order(out_trade_no="KJ-ORDER-0001").is_paid


def test_refund_after_the_refund_window_is_trade_overdue(gateway, sandbox_server) -> None:
    _, tid = paid_order(gateway, sandbox_server)
    sandbox_server.control("POST", "_sandbox/clock",
                           json={"shift_seconds": TRADE_OVERDUE_SECONDS + 60})
    with pytest.raises(RefundRejected) as err:
        gateway.refund(RefundRequest("RF-LATE-1", 25900, 100, transaction_id=tid))
    assert err.value.code == "TRADE_OVERDUE" and err.value.message


def test_customs_declaration_with_another_identity_fails(gateway, sandbox_server) -> None:
    tid = paid(gateway, sandbox_server, "KJ-CUSTOMS-2", 30000, TradeType.JSAPI)
    declared = gateway.declare_customs(CustomsRequest(
        "KJ-CUSTOMS-2", tid, "HANGZHOU_ZS", "3301960000", cert_type="IDCARD",
        cert_id="110101199003077512", name="李四"))
    assert (declared.state, declared.cert_check_result) == ("SUBMITTED", "DIFFERENT")
    final = sandbox_server.wait_for(lambda: (d := gateway.query_customs(
        customs="HANGZHOU_ZS", transaction_id=tid)) and d[0].state != "SUBMITTED" and d)
    assert [(d.state, d.cert_check_result) for d in final] == [("FAIL", "DIFFERENT")]
    assert final[0].explanation


def test_a_wrong_api_key_is_a_signature_error_on_every_call(make_gateway, gateway,
                                                            sandbox_server) -> None:
    _, tid = paid_order(gateway, sandbox_server)
    day = bill_day(sandbox_server)
    wrong = make_gateway(WECHATPAY_API_KEY="0" * 32)
    calls = [
        lambda: wrong.prepay(native("KJ-ORDER-0002")),
        lambda: wrong.query_order(transaction_id=tid),
        lambda: wrong.close_order("KJ-ORDER-0001"),
        lambda: wrong.refund(RefundRequest("RF-1", 25900, 100, transaction_id=tid)),
        lambda: wrong.query_refunds(transaction_id=tid),
        lambda: wrong.download_bill(day),
        lambda: wrong.declare_customs(CustomsRequest("KJ-ORDER-0001", tid, "HANGZHOU_ZS",
                                                     "3301960000")),
        lambda: wrong.query_customs(customs="HANGZHOU_ZS", transaction_id=tid),
    ]
    for call in calls:
        with pytest.raises(GatewayRejected) as err:
            call()
        assert (err.value.code, err.value.message) == ("SIGNERROR", "签名错误")
    assert sandbox_server.sandbox.store.one("SELECT COUNT(*) AS n FROM refunds")["n"] == 0


def test_missing_parameters_are_lack_params(gateway, sandbox_server) -> None:
    _, tid = paid_order(gateway, sandbox_server)
    cases = [
        (lambda: gateway.prepay(PrepayRequest("KJ-MWEB-9", "H5", 100, TradeType.MWEB,
                                              "203.0.113.9")), "缺少参数 scene_info"),
        (lambda: gateway.refund(RefundRequest("", 25900, 100, transaction_id=tid)),
         "缺少参数 out_refund_no"),
        (lambda: gateway.declare_customs(CustomsRequest("KJ-ORDER-0001", tid, "HANGZHOU_ZS",
                                                        "")), "缺少参数 mch_customs_no"),
    ]
    for call, message in cases:
        with pytest.raises(GatewayRejected) as err:
            call()
        assert (err.value.code, err.value.message) == ("LACK_PARAMS", message)
    assert sandbox_server.sandbox.store.one("SELECT COUNT(*) AS n FROM declarations")["n"] == 0
