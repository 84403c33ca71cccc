"""Reading WeChat Pay's downloadbill text into `Bill` dataclasses.

The bill is CSV-like: a header row, detail rows whose every field starts with
a backtick, a summary header and a summary row. Amounts are yuan with two
decimals and the fee has five; both are read as integers without floats.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Mapping

from .gateway import BEIJING, BadReply, Bill, BillRow, BillSummary, BillType


def parse_decimal(text: str, places: int) -> int:
    """``"-12.34"`` with places=2 → -1234; exact, no float involved."""
    text = text.strip()
    negative = text.startswith("-")
    whole, _, frac = text.lstrip("+-").partition(".")
    if not (whole or frac) or not (whole or "0").isdigit() or (frac and not frac.isdigit()):
        raise BadReply(f"not an amount: {text!r}")
    if len(frac) > places:
        raise BadReply(f"too many decimals in {text!r}")
    value = int(whole or "0") * 10 ** places + int((frac or "0").ljust(places, "0"))
    return -value if negative else value


def _fen(text: str) -> int:
    return parse_decimal(text, 2)


def _time(text: str) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING) if text else None


def _fields(line: str) -> list[str]:
    if not line.startswith("`"):
        raise BadReply("bill line without the leading backtick")
    return line[1:].split(",`")


def _row(cells: Mapping[str, str]) -> BillRow:
    refund_id = cells.get("微信退款单号")
    is_refund = cells.get("交易状态") == "REFUND"
    traded_at = _time(cells["交易时间"])
    assert traded_at is not None
    return BillRow(
        traded_at=traded_at, appid=cells["公众账号ID"], mch_id=cells["商户号"],
        transaction_id=cells["微信订单号"], out_trade_no=cells["商户订单号"],
        openid=cells["用户标识"], trade_type=cells["交易类型"], trade_state=cells["交易状态"],
        bank_type=cells["付款银行"], fee_type=cells["货币种类"],
        settlement_fee=_fen(cells["应结订单金额"]), body=cells["商品名称"],
        attach=cells["商户数据包"], fee_1e5_yuan=parse_decimal(cells["手续费"], 5),
        rate=cells["费率"], total_fee=_fen(cells["订单金额"]),
        refund_id=refund_id if is_refund else None,
        out_refund_no=cells.get("商户退款单号") if is_refund else None,
        refund_fee=_fen(cells["退款金额"]) if is_refund and "退款金额" in cells else None,
        refund_status=cells.get("退款状态") if is_refund else None,
        refund_applied_at=_time(cells.get("退款申请时间", "")),
        refund_succeeded_at=_time(cells.get("退款成功时间", "")),
        raw=dict(cells),
    )


def parse_bill(text: str, bill_date: date, bill_type: BillType) -> Bill:
    """Parse bill text; raises BadReply when it does not have WeChat's shape."""
    lines = [line for line in text.replace("\ufeff", "").splitlines() if line.strip()]
    if len(lines) < 3 or lines[0].startswith("`"):
        raise BadReply("bill text has no header")
    head = lines[0].split(",")
    rows: list[BillRow] = []
    index = 1
    try:
        while index < len(lines) and lines[index].startswith("`"):
            values = _fields(lines[index])
            if len(values) != len(head):
                raise BadReply(f"bill line {index + 1} has {len(values)} fields, "
                               f"header has {len(head)}")
            rows.append(_row(dict(zip(head, values))))
            index += 1
        summary_head = lines[index].split(",")
        summary = dict(zip(summary_head, _fields(lines[index + 1])))
        result = BillSummary(
            count=int(summary["总交易单数"]),
            settlement_total=_fen(summary["应结订单总金额"]),
            refund_total=_fen(summary["退款总金额"]) if "退款总金额" in summary else None,
            fee_total_1e5_yuan=parse_decimal(summary["手续费总金额"], 5),
            order_total=_fen(summary["订单总金额"]),
            requested_refund_total=(_fen(summary["申请退款总金额"])
                                    if "申请退款总金额" in summary else None),
        )
    except (IndexError, KeyError, ValueError) as exc:
        raise BadReply(f"bill text is malformed: {exc}") from exc
    if result.count != len(rows):
        raise BadReply(f"bill summary counts {result.count} rows, found {len(rows)}")
    return Bill(bill_date=bill_date, bill_type=bill_type, rows=rows, summary=result, text=text)
