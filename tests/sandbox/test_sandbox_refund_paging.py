"""refundquery by order number pages ten refunds at a time with offset, as WeChat does."""
from __future__ import annotations

from tests.sandbox.test_sandbox_refunds_bills import paid_order, refund


def _numbers(reply) -> list[str]:
    return [reply[f"out_refund_no_{n}"] for n in range(int(reply["refund_count"]))]


def test_refundquery_by_order_returns_ten_and_offset_reaches_the_rest(sandbox_server) -> None:
    paid_order(sandbox_server)
    for n in range(25):
        assert refund(sandbox_server, f"RF{n:02d}", "1")["result_code"] == "SUCCESS"
    first = sandbox_server.call("pay/refundquery", {"out_trade_no": "REFUND_1"})
    assert (first["refund_count"], first["total_refund_count"]) == ("10", "25")
    assert _numbers(first) == [f"RF{n:02d}" for n in range(10)]
    assert "out_refund_no_10" not in first
    second = sandbox_server.call("pay/refundquery", {"out_trade_no": "REFUND_1", "offset": "10"})
    assert _numbers(second) == [f"RF{n:02d}" for n in range(10, 20)]
    last = sandbox_server.call("pay/refundquery", {"out_trade_no": "REFUND_1", "offset": "20"})
    assert _numbers(last) == [f"RF{n:02d}" for n in range(20, 25)]
    assert last["total_refund_count"] == "25" and last["refund_count"] == "5"
    assert last["refund_fee"] == "25"   # the order's refunded total, not just this page's


def test_offset_beyond_the_refunds_or_not_a_number_is_refused(sandbox_server) -> None:
    paid_order(sandbox_server)
    refund(sandbox_server, "RF1", "1")
    beyond = sandbox_server.call("pay/refundquery", {"out_trade_no": "REFUND_1", "offset": "1"})
    assert (beyond["result_code"], beyond["err_code"]) == ("FAIL", "PARAM_ERROR")
    for bad in ("x", "-1", "²", "9" * 11):
        reply = sandbox_server.call("pay/refundquery", {"out_trade_no": "REFUND_1", "offset": bad})
        assert (reply["return_code"], reply["return_msg"]) == ("FAIL", "offset参数格式错误")
