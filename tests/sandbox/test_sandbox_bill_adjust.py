"""A bill that disagrees with the trades, on request: a payment left out, a refund billed for
another amount; still WeChat's format, with a summary that adds up what the bill shows."""
from __future__ import annotations

from tests.sandbox.test_sandbox_refunds_bills import _bill_day, _rows, paid_order, refund


def _details(text: str) -> dict[str, dict[str, str]]:
    head = text.split("\r\n")[0].split(",")
    rows = [dict(zip(head, r)) for r in _rows(text)[:-1]]
    return {r["商户退款单号"] if r["交易状态"] == "REFUND" else r["商户订单号"]: r for r in rows}


def test_a_left_out_payment_and_a_refund_billed_for_another_amount(sandbox_server) -> None:
    paid_order(sandbox_server)
    paid_order(sandbox_server, "SECOND_1", total_fee="2000")
    refund(sandbox_server, "RF1", "2500")
    control = sandbox_server.control
    assert control("POST", "_sandbox/bill/adjust", json={"out_trade_no": "SECOND_1", "omit": True}).ok
    assert control("POST", "_sandbox/bill/adjust", json={"out_refund_no": "RF1", "amount_fen": 2600}).json() == {
        "trade:SECOND_1": {"omit": True, "amount_fen": None}, "refund:RF1": {"omit": False, "amount_fen": 2600}}
    day = _bill_day(sandbox_server)
    text = sandbox_server.call("pay/downloadbill", {"bill_date": day, "bill_type": "ALL"}, raw=True)
    rows = _details(text)
    assert set(rows) == {"REFUND_1", "RF1"}
    assert (rows["RF1"]["退款金额"], rows["RF1"]["申请退款金额"], rows["RF1"]["手续费"]) == ("26.00", "26.00", "-0.16000")
    assert _rows(text)[-1] == ["2", "100.00", "26.00", "0.00", "0.44000", "100.00", "26.00"]
    # The trades themselves are as they were: only the bill disagrees.
    assert sandbox_server.call("pay/orderquery", {"out_trade_no": "SECOND_1"})["trade_state"] == "SUCCESS"


def test_adjustments_are_refused_without_one_number_and_forgotten_on_reset(sandbox_server) -> None:
    control = sandbox_server.control
    for body in ({"omit": True}, {"out_trade_no": "A", "out_refund_no": "B", "omit": True},
                 {"out_trade_no": "A", "amount_fen": 0}, {"out_trade_no": "A", "amount_fen": "5"},
                 {"out_trade_no": "A", "omit": "yes"}):
        response = control("POST", "_sandbox/bill/adjust", json=body)
        assert response.status_code == 400 and "out_trade_no" in response.json()["error"]
    paid_order(sandbox_server)
    control("POST", "_sandbox/bill/adjust", json={"out_trade_no": "REFUND_1", "omit": True})
    control("POST", "_sandbox/reset")
    paid_order(sandbox_server)
    day = _bill_day(sandbox_server)
    assert set(_details(sandbox_server.call("pay/downloadbill", {"bill_date": day}, raw=True))) == {"REFUND_1"}
