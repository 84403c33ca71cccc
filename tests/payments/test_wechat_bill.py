"""Reading WeChat's bill text: columns found by their header names, yuan to exact fen, the fee
with its five decimals, and a clear refusal of text that is not a bill."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.payments.gateway import BadReply, BillType
from app.payments.wechat_bill import parse_bill

HEAD = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
        "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,"
        "商户数据包,手续费,费率,订单金额,申请退款金额,费率备注").split(",")
SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
PAYMENT = {"交易时间": "2026-03-01 23:59:59", "公众账号ID": "wx8888888888888888", "商户号": "1900000109",
           "特约商户号": "0", "设备号": "", "微信订单号": "4200000001202603010000000001",
           "商户订单号": "KJ260301ABCDEFGHN1", "用户标识": "oUser", "交易类型": "NATIVE", "交易状态": "SUCCESS",
           "付款银行": "CMB_CREDIT", "货币种类": "CNY", "应结订单金额": "1234.56", "代金券金额": "0.00",
           "微信退款单号": "0", "商户退款单号": "0", "退款金额": "0.00", "充值券退款金额": "0.00", "退款类型": "",
           "退款状态": "", "商品名称": "保湿面霜, 2 件", "商户数据包": "KJ260301ABCDEFGH", "手续费": "7.41000",
           "费率": "0.60%", "订单金额": "1234.56", "申请退款金额": "0.00", "费率备注": ""}
REFUND = {**PAYMENT, "交易时间": "2026-03-01 10:00:00", "交易状态": "REFUND", "应结订单金额": "0.00",
          "订单金额": "0.00", "微信退款单号": "50000000012026030100000000001", "商户退款单号": "R0001",
          "退款金额": "25.00", "退款类型": "ORIGINAL", "退款状态": "SUCCESS", "手续费": "-0.15000",
          "申请退款金额": "25.00"}


def bill(head: list[str], rows: list[dict[str, str]], summary: str = "`2,`1234.56,`25.00,`0.00,`7.26000,`1234.56,`25.00"
         ) -> str:
    lines = [",".join(head)] + [",".join("`" + row[h] for h in head) for row in rows] + [SUMMARY, summary]
    return "\r\n".join(lines) + "\r\n"


def test_a_bill_reads_into_exact_fen_and_a_five_decimal_fee():
    parsed = parse_bill(bill(HEAD, [PAYMENT, REFUND]), date(2026, 3, 1), BillType.ALL)
    payment, refund = parsed.rows
    assert (payment.transaction_id, payment.out_trade_no, payment.total_fee, payment.settlement_fee) == (
        "4200000001202603010000000001", "KJ260301ABCDEFGHN1", 123456, 123456)
    assert payment.fee_1e5_yuan == 741000 and payment.body == "保湿面霜, 2 件"
    assert payment.traded_at.utcoffset() == timedelta(hours=8) and payment.traded_at.date() == date(2026, 3, 1)
    assert payment.refund_id is None and payment.out_refund_no is None and payment.refund_fee is None
    assert (refund.out_refund_no, refund.refund_id, refund.refund_fee, refund.refund_status) == (
        "R0001", "50000000012026030100000000001", 2500, "SUCCESS")
    assert refund.fee_1e5_yuan == -15000, "the fee WeChat gives back on a refund is negative"
    s = parsed.summary
    assert (s.count, s.settlement_total, s.refund_total, s.fee_total_1e5_yuan, s.order_total) == (
        2, 123456, 2500, 726000, 123456)


def test_columns_are_found_by_their_names_in_any_order_and_new_ones_are_ignored():
    shuffled = list(reversed(HEAD)) + ["新增字段"]
    rows = [{**PAYMENT, "新增字段": "x"}, {**REFUND, "新增字段": "y"}]
    assert parse_bill(bill(shuffled, rows), date(2026, 3, 1), BillType.ALL).rows == \
        parse_bill(bill(HEAD, [PAYMENT, REFUND]), date(2026, 3, 1), BillType.ALL).rows


def test_a_coupon_makes_the_order_amount_differ_from_the_settled_one():
    row = {**PAYMENT, "应结订单金额": "1200.00", "代金券金额": "34.56"}
    [parsed] = parse_bill(bill(HEAD, [row], "`1,`1200.00,`0.00,`0.00,`7.41000,`1234.56,`0.00"),
                          date(2026, 3, 1), BillType.ALL).rows
    assert (parsed.settlement_fee, parsed.total_fee) == (120000, 123456)


@pytest.mark.parametrize("change, problem", [
    ({"订单金额": "12.345"}, "decimals"),
    ({"应结订单金额": "1,234.56"}, "amount"),
    ({"手续费": "0.6%"}, "amount"),
    ({"应结订单金额": "１２.００"}, "amount"),   # full-width digits are not WeChat's
    ({"交易时间": "2026/03/01 10:00:00"}, "time"),
])
def test_text_that_is_not_a_bill_is_refused(change, problem):
    with pytest.raises(BadReply, match=problem):
        parse_bill(bill(HEAD, [{**PAYMENT, **change}, REFUND]), date(2026, 3, 1), BillType.ALL)


def test_a_missing_column_or_a_wrong_count_is_refused():
    without = [h for h in HEAD if h != "手续费"]
    with pytest.raises(BadReply, match="手续费"):
        parse_bill(bill(without, [PAYMENT]), date(2026, 3, 1), BillType.ALL)
    with pytest.raises(BadReply, match="counts 3 rows"):
        parse_bill(bill(HEAD, [PAYMENT, REFUND], "`3,`1.00,`0.00,`0.00,`0.00000,`1.00,`0.00"),
                   date(2026, 3, 1), BillType.ALL)
    with pytest.raises(BadReply, match="summary"):
        parse_bill("\r\n".join(bill(HEAD, [PAYMENT]).split("\r\n")[:3]) + "\r\n", date(2026, 3, 1), BillType.ALL)
