"""Turning WeChat Pay v2 reply dicts into the gateway's dataclasses.

Pure functions over the dicts wechatpy hands back (strings, or None for empty
elements); kept apart from `wechatpay.py` so that file stays about the calls.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from .gateway import (
    BEIJING,
    BadReply,
    CustomsDeclaration,
    OrderStatus,
    PaymentNotice,
    RefundNotice,
    RefundQueryResult,
    RefundRecord,
    RefundState,
    TradeState,
)


def need(data: Mapping[str, Any], name: str) -> str:
    """A field that must be there, or BadReply."""
    value = data.get(name)
    if value in (None, ""):
        raise BadReply(f"reply lacks {name}")
    return str(value)


def opt(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    return None if value in (None, "") else str(value)


def fen(data: Mapping[str, Any], name: str) -> int | None:
    """An integer fen field, None when absent; BadReply when not an integer."""
    value = opt(data, name)
    if value is None:
        return None
    if not value.lstrip("-").isdigit():
        raise BadReply(f"{name} is not an integer amount: {value!r}")
    return int(value)


def need_fen(data: Mapping[str, Any], name: str) -> int:
    value = fen(data, name)
    if value is None:
        raise BadReply(f"reply lacks {name}")
    return value


def compact_time(value: str | None) -> datetime | None:
    """``yyyyMMddHHmmss`` Beijing time → aware datetime."""
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=BEIJING)
    except ValueError as exc:
        raise BadReply(f"bad time {value!r}") from exc


def dashed_time(value: str | None) -> datetime | None:
    """``yyyy-MM-dd HH:mm:ss`` Beijing time → aware datetime."""
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except ValueError as exc:
        raise BadReply(f"bad time {value!r}") from exc


def _enum(kind: type, value: str) -> Any:
    try:
        return kind(value)
    except ValueError as exc:
        raise BadReply(f"unknown {kind.__name__} {value!r}") from exc


def order_status(data: Mapping[str, Any]) -> OrderStatus:
    """orderquery reply → OrderStatus."""
    return OrderStatus(
        out_trade_no=need(data, "out_trade_no"),
        trade_state=_enum(TradeState, need(data, "trade_state")),
        trade_state_desc=opt(data, "trade_state_desc") or "",
        total_fee=fen(data, "total_fee"),
        transaction_id=opt(data, "transaction_id"),
        cash_fee=fen(data, "cash_fee"),
        fee_type=opt(data, "fee_type") or "CNY",
        bank_type=opt(data, "bank_type"),
        openid=opt(data, "openid"),
        trade_type=opt(data, "trade_type"),
        attach=opt(data, "attach"),
        paid_at=compact_time(opt(data, "time_end")),
        coupon_fee=fen(data, "coupon_fee") or 0, settlement_total_fee=fen(data, "settlement_total_fee"),
    )


def refund_query(data: Mapping[str, Any]) -> RefundQueryResult:
    """refundquery reply with its numbered ``_$n`` fields → RefundQueryResult."""
    count = need_fen(data, "refund_count")
    refunds = [
        RefundRecord(
            out_refund_no=need(data, f"out_refund_no_{n}"),
            refund_id=need(data, f"refund_id_{n}"),
            refund_fee=need_fen(data, f"refund_fee_{n}"),
            status=_enum(RefundState, need(data, f"refund_status_{n}")),
            succeeded_at=dashed_time(opt(data, f"refund_success_time_{n}")),
            recv_account=opt(data, f"refund_recv_accout_{n}"),  # WeChat's spelling
        )
        for n in range(count)
    ]
    return RefundQueryResult(out_trade_no=need(data, "out_trade_no"),
                             transaction_id=need(data, "transaction_id"),
                             total_fee=need_fen(data, "total_fee"), refunds=refunds,
                             total_refund_count=fen(data, "total_refund_count"))


def payment_notice(data: Mapping[str, Any]) -> PaymentNotice:
    """A signature-checked payment notify dict → PaymentNotice.

    A failed payment (result_code FAIL) may come without a transaction, payer or amount
    paid; those are then empty, and nothing is to be recorded from it.
    """
    paid = need(data, "result_code") == "SUCCESS"
    must = need if paid else (lambda d, n: opt(d, n) or "")
    return PaymentNotice(
        appid=need(data, "appid"), mch_id=need(data, "mch_id"),
        out_trade_no=need(data, "out_trade_no"),
        transaction_id=must(data, "transaction_id"),
        result_code=need(data, "result_code"),
        total_fee=need_fen(data, "total_fee") if paid else (fen(data, "total_fee") or 0),
        cash_fee=fen(data, "cash_fee") or fen(data, "total_fee") or 0,
        fee_type=opt(data, "fee_type") or "CNY",
        openid=must(data, "openid"), trade_type=must(data, "trade_type"),
        bank_type=opt(data, "bank_type") or "", attach=opt(data, "attach"),
        paid_at=compact_time(opt(data, "time_end")), raw=dict(data),
        coupon_fee=fen(data, "coupon_fee") or 0, settlement_total_fee=fen(data, "settlement_total_fee"),
    )


def refund_notice(data: Mapping[str, Any]) -> RefundNotice:
    """The decrypted ``<root>`` of a refund notify → RefundNotice."""
    return RefundNotice(
        out_trade_no=need(data, "out_trade_no"), transaction_id=need(data, "transaction_id"),
        out_refund_no=need(data, "out_refund_no"), refund_id=need(data, "refund_id"),
        total_fee=need_fen(data, "total_fee"), refund_fee=need_fen(data, "refund_fee"),
        settlement_refund_fee=fen(data, "settlement_refund_fee") or need_fen(data, "refund_fee"),
        status=_enum(RefundState, need(data, "refund_status")),
        succeeded_at=dashed_time(opt(data, "success_time")),
        recv_account=opt(data, "refund_recv_accout"),
        refund_account=opt(data, "refund_account"),
        request_source=opt(data, "refund_request_source"), raw=dict(data),
    )


def declaration(data: Mapping[str, Any], suffix: str = "", *,
                out_trade_no: str | None = None, customs: str | None = None
                ) -> CustomsDeclaration:
    """A customdeclareorder reply, or entry ``_$n`` of a customdeclarequery reply."""
    return CustomsDeclaration(
        out_trade_no=out_trade_no or need(data, "out_trade_no"),
        transaction_id=need(data, "transaction_id"),
        customs=opt(data, f"customs{suffix}") or customs,
        state=need(data, f"state{suffix}"),
        cert_check_result=opt(data, f"cert_check_result{suffix}"),
        sub_order_no=opt(data, f"sub_order_no{suffix}"),
        sub_order_id=opt(data, f"sub_order_id{suffix}"),
        mch_customs_no=opt(data, f"mch_customs_no{suffix}"),
        fee_type=opt(data, f"fee_type{suffix}"),
        order_fee=fen(data, f"order_fee{suffix}"),
        product_fee=fen(data, f"product_fee{suffix}"),
        transport_fee=fen(data, f"transport_fee{suffix}"),
        duty=fen(data, f"duty{suffix}"),
        explanation=opt(data, f"explanation{suffix}"),
        modified_at=compact_time(opt(data, f"modify_time{suffix}")),
    )
