"""pay/downloadbill: the day's trades as WeChat's backticked CSV.

A Beijing calendar day is billed from 09:00 the next day, for three months.
Payment rows are billed on the day they were paid, refund rows on the day the
refund was applied for. The fee is 0.6% rounded to the fen, shown with five
decimals as WeChat does.

Adjustments (POST /_sandbox/bill/adjust) make the bill disagree with the
simulator's own records the way a real bill sometimes disagrees with a
merchant's: a trade left out, or billed for another amount. The rows stay in
WeChat's format and the summary adds up what the bill shows.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from .engine import Sandbox
from .protocol import BEIJING, beijing, wx_dashed_time

FEE_RATE_PER_MILLE = 6  # 0.60%
FEE_RATE_TEXT = "0.60%"

HEAD_ALL = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
            "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
            "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,"
            "费率备注").split(",")
HEAD_SUCCESS = [h for h in HEAD_ALL if h not in (
    "微信退款单号", "商户退款单号", "退款金额", "充值券退款金额", "退款类型", "退款状态", "申请退款金额")]
_i = HEAD_ALL.index("代金券金额") + 1
HEAD_REFUND = HEAD_ALL[:_i] + ["退款申请时间", "退款成功时间"] + HEAD_ALL[_i:]
SUMMARY_ALL = ["总交易单数", "应结订单总金额", "退款总金额", "充值券退款总金额", "手续费总金额",
               "订单总金额", "申请退款总金额"]
SUMMARY_SUCCESS = ["总交易单数", "应结订单总金额", "手续费总金额", "订单总金额"]


class BillError(Exception):
    """No bill to give: WeChat answers return_code FAIL with an error_code."""

    def __init__(self, message: str, error_code: str) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code


def yuan(fen: int) -> str:
    """Integer fen as yuan with two decimals, without touching floats."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def fee_fen(amount_fen: int) -> int:
    """WeChat's 0.6% handling fee, rounded half up to the fen."""
    sign = -1 if amount_fen < 0 else 1
    return sign * ((abs(amount_fen) * FEE_RATE_PER_MILLE + 500) // 1000)


def fee_text(fen: int) -> str:
    """A fee in yuan with the five decimals WeChat prints."""
    sign = "-" if fen < 0 else ""
    units = abs(fen) * 1000  # 1e-5 yuan
    return f"{sign}{units // 100000}.{units % 100000:05d}"


_BREAKS = re.compile("[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")


def _text(value: str | None) -> str:
    """Merchant free text as a bill field: no line breaks, no backticks.

    A newline would split the row and a backtick starts every field, so either
    would stop the day's bill from parsing.
    """
    return _BREAKS.sub(" ", value or "").replace("`", "")


def _check_date(sb: Sandbox, bill_date: str) -> tuple[float, float]:
    try:
        day = datetime.strptime(bill_date, "%Y%m%d").date()
    except ValueError as exc:
        raise BillError("invalid bill_date", "20001") from exc
    today = beijing(sb.now()).date()
    if day >= today or day < today - timedelta(days=92):
        raise BillError("invalid bill_date", "20001")
    start = datetime.combine(day, dtime(0), BEIJING)
    ready = start + timedelta(days=1, hours=9)
    if sb.now() < ready.timestamp():
        raise BillError("Bill Creating", "20003")
    return start.timestamp(), (start + timedelta(days=1)).timestamp()


def _payment_cells(o: dict[str, Any]) -> dict[str, str]:
    fee = fee_fen(o["total_fee"])
    return {
        "交易时间": wx_dashed_time(o["paid_at"]), "公众账号ID": o["appid"], "商户号": o["mch_id"],
        "特约商户号": "0", "设备号": _text(o["device_info"]), "微信订单号": o["transaction_id"],
        "商户订单号": o["out_trade_no"], "用户标识": o["openid"] or "", "交易类型": o["trade_type"],
        "交易状态": "SUCCESS", "付款银行": o["bank_type"] or "OTHERS", "货币种类": o["fee_type"],
        "应结订单金额": yuan(o["total_fee"]), "代金券金额": "0.00", "微信退款单号": "0",
        "商户退款单号": "0", "退款金额": "0.00", "充值券退款金额": "0.00", "退款类型": "",
        "退款状态": "", "商品名称": _text(o["body"]), "商户数据包": _text(o["attach"]),
        "手续费": fee_text(fee), "费率": FEE_RATE_TEXT, "订单金额": yuan(o["total_fee"]),
        "申请退款金额": "0.00", "费率备注": "",
        "_settle": o["total_fee"], "_refund": 0, "_fee": fee, "_order": o["total_fee"],
    }


def _refund_cells(r: dict[str, Any]) -> dict[str, Any]:
    fee = -fee_fen(r["refund_fee"])
    return {
        "交易时间": wx_dashed_time(r["created_at"]), "公众账号ID": r["appid"], "商户号": r["mch_id"],
        "特约商户号": "0", "设备号": _text(r["device_info"]), "微信订单号": r["transaction_id"],
        "商户订单号": r["out_trade_no"], "用户标识": r["openid"] or "", "交易类型": r["trade_type"],
        "交易状态": "REFUND", "付款银行": r["bank_type"] or "OTHERS", "货币种类": r["fee_type"],
        "应结订单金额": "0.00", "代金券金额": "0.00",
        "退款申请时间": wx_dashed_time(r["created_at"]),
        "退款成功时间": wx_dashed_time(r["success_at"]) if r["success_at"] else "",
        "微信退款单号": r["refund_id"], "商户退款单号": r["out_refund_no"],
        "退款金额": yuan(r["refund_fee"]), "充值券退款金额": "0.00", "退款类型": "ORIGINAL",
        "退款状态": r["status"], "商品名称": _text(r["body"]), "商户数据包": _text(r["attach"]),
        "手续费": fee_text(fee), "费率": FEE_RATE_TEXT, "订单金额": "0.00",
        "申请退款金额": yuan(r["refund_fee"]), "费率备注": "",
        "_settle": 0, "_refund": r["refund_fee"], "_fee": fee, "_order": 0,
    }


ADJUSTMENTS = "bill_adjustments"


def adjust(sb: Sandbox, *, out_trade_no: str | None = None, out_refund_no: str | None = None,
           omit: bool = False, amount_fen: int | None = None) -> dict[str, Any]:
    """Leave a payment (by out_trade_no) or a refund (by out_refund_no) out of every bill,
    or bill it for `amount_fen`; returns every adjustment in force."""
    key = f"trade:{out_trade_no}" if out_trade_no else f"refund:{out_refund_no}"
    found = dict(sb.store.get_setting(ADJUSTMENTS, {}))
    found[key] = {"omit": bool(omit), "amount_fen": amount_fen}
    sb.store.set_setting(ADJUSTMENTS, found)
    return found


def _adjusted(cells: dict[str, Any], change: dict[str, Any] | None) -> dict[str, Any] | None:
    """The row as the bill shows it after an adjustment; None when it is left out."""
    if not change:
        return cells
    if change.get("omit"):
        return None
    amount = change.get("amount_fen")
    if amount is None:
        return cells
    fee = fee_fen(amount)
    if cells["交易状态"] == "REFUND":
        return {**cells, "退款金额": yuan(amount), "申请退款金额": yuan(amount), "手续费": fee_text(-fee),
                "_refund": amount, "_fee": -fee}
    return {**cells, "应结订单金额": yuan(amount), "订单金额": yuan(amount), "手续费": fee_text(fee),
            "_settle": amount, "_order": amount, "_fee": fee}


def render_bill(sb: Sandbox, bill_date: str, bill_type: str) -> str:
    """The bill text for one day and type; raises BillError when there is none."""
    if bill_type not in ("ALL", "SUCCESS", "REFUND"):
        raise BillError("invalid bill_type", "20001")
    start, end = _check_date(sb, bill_date)
    rows: list[dict[str, Any]] = []
    if bill_type in ("ALL", "SUCCESS"):
        for o in sb.store.all("SELECT * FROM orders WHERE paid_at >= ? AND paid_at < ? "
                              "ORDER BY paid_at", (start, end)):
            rows.append(_payment_cells(o))
    if bill_type in ("ALL", "REFUND"):
        for r in sb.store.all(
                "SELECT r.*, o.appid, o.mch_id, o.device_info, o.transaction_id, o.openid, "
                "o.trade_type, o.bank_type, o.fee_type, o.body, o.attach FROM refunds r "
                "JOIN orders o USING (out_trade_no) WHERE r.created_at >= ? AND r.created_at < ? "
                "ORDER BY r.created_at", (start, end)):
            rows.append(_refund_cells(r))
    changes = sb.store.get_setting(ADJUSTMENTS, {})
    rows = [row for row in (_adjusted(c, changes.get(f"trade:{c['商户订单号']}" if c["交易状态"] != "REFUND"
                                                      else f"refund:{c['商户退款单号']}")) for c in rows) if row]
    if not rows:
        raise BillError("No Bill Exist", "20002")
    rows.sort(key=lambda c: c["交易时间"])
    head = {"ALL": HEAD_ALL, "SUCCESS": HEAD_SUCCESS, "REFUND": HEAD_REFUND}[bill_type]
    totals = {
        "总交易单数": str(len(rows)),
        "应结订单总金额": yuan(sum(c["_settle"] for c in rows)),
        "退款总金额": yuan(sum(c["_refund"] for c in rows)),
        "充值券退款总金额": "0.00",
        "手续费总金额": fee_text(sum(c["_fee"] for c in rows)),
        "订单总金额": yuan(sum(c["_order"] for c in rows)),
        "申请退款总金额": yuan(sum(c["_refund"] for c in rows)),
    }
    summary = SUMMARY_SUCCESS if bill_type == "SUCCESS" else SUMMARY_ALL
    lines = [",".join(head)]
    lines += [",".join("`" + str(c.get(h, "")) for h in head) for c in rows]
    lines.append(",".join(summary))
    lines.append(",".join("`" + totals[h] for h in summary))
    return "\r\n".join(lines) + "\r\n"


def yesterday_beijing(sb: Sandbox) -> date:
    """The most recent day whose bill is normally ready, for the payer page."""
    return (beijing(sb.now()) - timedelta(hours=9)).date() - timedelta(days=1)
