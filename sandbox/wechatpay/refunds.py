"""Refunds: secapi/pay/refund, pay/refundquery and their PROCESSING → SUCCESS step."""
from __future__ import annotations

from typing import Any

from .engine import REFUND_PROCESSING_SECONDS, TRADE_OVERDUE_SECONDS, Sandbox
from .orders import get_order, lack, parse_fen
from .protocol import BusinessError, ProtocolError, is_amount, new_refund_id, wx_dashed_time

MAX_REFUNDS_PER_ORDER = 50
# refundquery by order number returns ten refunds from `offset` (0 by default);
# an offset past the order's refunds is PARAM_ERROR.
REFUNDS_PER_PAGE = 10


def _refunds_of(sb: Sandbox, out_trade_no: str) -> list[dict[str, Any]]:
    return sb.store.all("SELECT * FROM refunds WHERE out_trade_no = ? ORDER BY created_at, "
                        "rowid", (out_trade_no,))


def _accepted(order: dict[str, Any], refund: dict[str, Any]) -> dict[str, Any]:
    return {
        "transaction_id": order["transaction_id"], "out_trade_no": order["out_trade_no"],
        "out_refund_no": refund["out_refund_no"], "refund_id": refund["refund_id"],
        "refund_fee": refund["refund_fee"], "settlement_refund_fee": refund["refund_fee"],
        "total_fee": order["total_fee"], "settlement_total_fee": order["total_fee"],
        "fee_type": order["fee_type"], "cash_fee": order["cash_fee"],
        "cash_refund_fee": refund["refund_fee"], "refund_channel": "",
    }


def apply_refund(sb: Sandbox, f: dict[str, str]) -> dict[str, Any]:
    """Accept a refund (status PROCESSING); the same out_refund_no refunds only once.

    Raises BusinessError ORDERNOTEXIST, PARAM_ERROR, NOTENOUGH, TRADE_OVERDUE.
    """
    for name in ("out_refund_no", "total_fee", "refund_fee"):
        if not f.get(name):
            raise lack(name)
    if not f.get("transaction_id") and not f.get("out_trade_no"):
        raise lack("out_trade_no")
    if len(f["out_refund_no"]) > 64:
        raise ProtocolError("out_refund_no参数长度有误")
    if f.get("notify_url") and "?" in f["notify_url"]:
        raise ProtocolError("notify_url参数格式错误")
    total_fee = parse_fen(f["total_fee"], "total_fee")
    refund_fee = parse_fen(f["refund_fee"], "refund_fee")
    now = sb.now()
    with sb.store.tx():
        order = get_order(sb, f.get("out_trade_no"), f.get("transaction_id"))
        if order is None or order["transaction_id"] is None:
            raise BusinessError("ORDERNOTEXIST", "订单不存在")
        existing = sb.store.one("SELECT * FROM refunds WHERE out_refund_no = ?",
                                (f["out_refund_no"],))
        if existing is not None:
            if (existing["out_trade_no"] != order["out_trade_no"]
                    or existing["refund_fee"] != refund_fee or total_fee != order["total_fee"]):
                raise BusinessError("PARAM_ERROR",
                                    "订单金额或退款金额与之前请求不一致，请核实后再试")
            return _accepted(order, existing)
        if total_fee != order["total_fee"]:
            raise BusinessError("PARAM_ERROR", "订单金额或退款金额与之前请求不一致，请核实后再试")
        # A validity window, not a wait: not scaled (move the clock to reach it).
        if now - order["paid_at"] > TRADE_OVERDUE_SECONDS:
            raise BusinessError("TRADE_OVERDUE", "订单已经超过退款期限")
        refunds = _refunds_of(sb, order["out_trade_no"])
        if len(refunds) >= MAX_REFUNDS_PER_ORDER:
            raise BusinessError("PARAM_ERROR", "订单退款次数已达上限(50次)")
        refunded = sum(r["refund_fee"] for r in refunds if r["status"] != "REFUNDCLOSE")
        if refunded + refund_fee > order["cash_fee"]:
            raise BusinessError("NOTENOUGH", "申请退款金额超过订单可退金额")
        refund = {
            "refund_id": new_refund_id(now), "out_refund_no": f["out_refund_no"],
            "out_trade_no": order["out_trade_no"], "total_fee": total_fee,
            "refund_fee": refund_fee, "refund_desc": f.get("refund_desc"),
            "notify_url": f.get("notify_url") or None, "status": "PROCESSING",
            "created_at": now, "due_at": now + sb.scaled(REFUND_PROCESSING_SECONDS),
            "success_at": None,
        }
        sb.store.insert("refunds", refund)
        sb.store.update("orders", "out_trade_no", order["out_trade_no"],
                        {"trade_state": "REFUND", "trade_state_desc": "转入退款"})
    sb.wake()
    return _accepted(order, refund)


def refund_query(sb: Sandbox, f: dict[str, str]) -> dict[str, Any]:
    """refundquery: the order's refunds as numbered ``_$n`` fields.

    Looks up by refund_id, out_refund_no, transaction_id, out_trade_no in that
    priority; a single refund is returned alone when asked for by its own id.
    By order number, ten refunds from ``offset`` (default 0) and
    ``total_refund_count``, the order's refunds in all.
    """
    store = sb.store
    offset = 0
    if f.get("offset"):
        if not is_amount(f["offset"]):
            raise ProtocolError("offset参数格式错误")
        offset = int(f["offset"])
    if f.get("refund_id") or f.get("out_refund_no"):
        column, value = (("refund_id", f["refund_id"]) if f.get("refund_id")
                         else ("out_refund_no", f["out_refund_no"]))
        one = store.one(f"SELECT * FROM refunds WHERE {column} = ?", (value,))
        if one is None:
            raise BusinessError("REFUNDNOTEXIST", "退款订单查询失败")
        order = get_order(sb, out_trade_no=one["out_trade_no"])
        everything = page = [one]
    elif f.get("transaction_id") or f.get("out_trade_no"):
        order = get_order(sb, f.get("out_trade_no"), f.get("transaction_id"))
        everything = _refunds_of(sb, order["out_trade_no"]) if order else []
        if not everything:
            raise BusinessError("REFUNDNOTEXIST", "退款订单查询失败")
        if offset >= len(everything):
            raise BusinessError("PARAM_ERROR", "offset超过退款总笔数total_refund_count")
        page = everything[offset:offset + REFUNDS_PER_PAGE]
    else:
        raise lack("out_trade_no")
    assert order is not None
    reply: dict[str, Any] = {
        "transaction_id": order["transaction_id"], "out_trade_no": order["out_trade_no"],
        "total_fee": order["total_fee"], "settlement_total_fee": order["total_fee"],
        "fee_type": order["fee_type"], "cash_fee": order["cash_fee"],
        "refund_fee": sum(r["refund_fee"] for r in everything),
        "refund_count": len(page),
        "total_refund_count": len(_refunds_of(sb, order["out_trade_no"])),
    }
    for n, r in enumerate(page):
        reply.update({
            f"out_refund_no_{n}": r["out_refund_no"], f"refund_id_{n}": r["refund_id"],
            f"refund_channel_{n}": "ORIGINAL", f"refund_fee_{n}": r["refund_fee"],
            f"settlement_refund_fee_{n}": r["refund_fee"],
            f"refund_status_{n}": r["status"],
            f"refund_account_{n}": "REFUND_SOURCE_UNSETTLED_FUNDS",
            f"refund_recv_accout_{n}": "支付用户的零钱",
        })
        if r["success_at"]:
            reply[f"refund_success_time_{n}"] = wx_dashed_time(r["success_at"])
    return reply


def finish_refund(sb: Sandbox, refund_id: str, status: str = "SUCCESS") -> dict[str, Any] | None:
    """Move a PROCESSING refund to SUCCESS, CHANGE or REFUNDCLOSE and queue its notify."""
    from .notify import queue_refund_notify

    now = sb.now()
    with sb.store.tx():
        refund = sb.store.one("SELECT * FROM refunds WHERE refund_id = ?", (refund_id,))
        if refund is None or refund["status"] != "PROCESSING":
            return None
        changes = {"status": status, "due_at": None,
                   "success_at": now if status == "SUCCESS" else None}
        sb.store.update("refunds", "refund_id", refund_id, changes)
        refund.update(changes)
        if refund["notify_url"]:
            order = get_order(sb, out_trade_no=refund["out_trade_no"])
            queue_refund_notify(sb, refund, order or {}, now)
    sb.wake()
    return refund


def finish_due_refunds(sb: Sandbox) -> None:
    """Complete every refund whose processing delay has passed."""
    for row in sb.store.all("SELECT refund_id FROM refunds WHERE status = 'PROCESSING' "
                            "AND due_at <= ?", (sb.now(),)):
        finish_refund(sb, row["refund_id"])
