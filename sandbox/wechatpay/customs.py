"""Customs declaration: customdeclareorder and customdeclarequery.

A declaration goes SUBMITTED at once and, after a (scaled) delay, SUCCESS, or
FAIL when the buyer identity sent does not match the payer's. These calls carry
no nonce_str: WeChat signs them over the documented fields only, so a request
with any other field (nonce_str included) fails its signature check.
"""
from __future__ import annotations

import json
import re
import secrets
from typing import Any

from .engine import CUSTOMS_PROCESSING_SECONDS, Sandbox
from .orders import check_len, get_order, lack
from .protocol import BusinessError, ProtocolError, is_amount, wx_time

CUSTOMS = ("NO", "GUANGZHOU", "GUANGZHOU_ZS", "GUANGZHOU_HP_GJ", "HANGZHOU_ZS", "HANGZHOU",
           "NINGBO", "ZHENGZHOU_BS", "ZHENGZHOU_ZH_ZS", "CHONGQING", "XIAN", "SHANGHAI_ZS",
           "SHENZHEN", "TIANJIN", "BEIJING", "ZONGSHU")
_ENVELOPE = ("appid", "mch_id", "sign", "sign_type")
DECLARE_FIELDS = frozenset(_ENVELOPE + (
    "out_trade_no", "transaction_id", "customs", "mch_customs_no", "duty", "action_type",
    "sub_order_no", "fee_type", "order_fee", "transport_fee", "product_fee",
    "cert_type", "cert_id", "name"))
QUERY_FIELDS = frozenset(_ENVELOPE + (
    "out_trade_no", "transaction_id", "sub_order_no", "sub_order_id", "customs"))
IDENTITY_FIELDS = ("cert_type", "cert_id", "name")
FEE_FIELDS = ("order_fee", "product_fee", "transport_fee", "duty")
# A mainland ID card number: 17 digits and a check character.
CERT_ID_RE = re.compile(r"[0-9]{17}[0-9X]")
NAME_MAX_BYTES = 64


def _int_or_none(f: dict[str, str], name: str) -> int | None:
    if not f.get(name):
        return None
    if not is_amount(f[name]):
        raise BusinessError("PARAM_ERROR", f"{name}参数格式错误")
    return int(f[name])


def _identity(f: dict[str, str]) -> dict[str, str]:
    """The buyer identity sent, all three fields or none; {} when none."""
    given = {name: f[name] for name in IDENTITY_FIELDS if f.get(name)}
    if not given:
        return {}
    for name in IDENTITY_FIELDS:
        if name not in given:
            raise lack(name)
    if given["cert_type"] != "IDCARD":
        raise BusinessError("PARAM_ERROR", "cert_type参数格式错误")
    if not CERT_ID_RE.fullmatch(given["cert_id"]):
        raise BusinessError("PARAM_ERROR", "cert_id参数格式错误")
    check_len(given, "name", NAME_MAX_BYTES)
    return given


def _cert_check(sb: Sandbox, order: dict[str, Any], identity: dict[str, str]) -> str:
    if not identity:
        return "UNCHECKED"
    payer = sb.user_by_openid(order["openid"])
    same = payer is not None and (payer.cert_id, payer.name) == (identity["cert_id"],
                                                                 identity["name"])
    return "SAME" if same else "DIFFERENT"


def _fees(f: dict[str, str]) -> dict[str, int | None]:
    fees = {n: _int_or_none(f, n) for n in FEE_FIELDS}
    if f.get("sub_order_no"):
        if f.get("fee_type") != "CNY":
            raise BusinessError("PARAM_ERROR", "拆单时fee_type必须为CNY")
        for name in ("order_fee", "product_fee", "transport_fee"):
            if fees[name] is None:
                raise lack(name)
        if fees["order_fee"] != (fees["product_fee"] or 0) + (fees["transport_fee"] or 0):
            raise BusinessError("PARAM_ERROR", "order_fee必须等于product_fee与transport_fee之和")
    elif f.get("fee_type") not in (None, "", "CNY"):
        raise BusinessError("PARAM_ERROR", "fee_type参数格式错误")
    return fees


def _modified_identity(existing: dict[str, Any] | None, identity: dict[str, str]
                       ) -> dict[str, str]:
    """What a MODIFY declares about the buyer: it may restate the identity, not change it."""
    if existing is None:
        raise BusinessError("PARAM_ERROR", "该订单尚未申报，不能修改申报")
    before = {n: existing[n] for n in IDENTITY_FIELDS if existing[n]}
    if identity and identity != before:
        raise BusinessError("PARAM_ERROR", "修改申报只能修改商户海关备案号、关税和金额，不能修改身份信息")
    return before


def declare(sb: Sandbox, f: dict[str, str]) -> dict[str, Any]:
    """customdeclareorder: record a declaration (ADD) or replace one (MODIFY), state SUBMITTED.

    A MODIFY voids the earlier declaration of the same order, sub-order and customs:
    it is declared again with the new customs number, duty and fees, and customs
    judges it afresh.
    """
    for name in ("out_trade_no", "transaction_id", "customs", "mch_customs_no"):
        if not f.get(name):
            raise lack(name)
    if f["customs"] not in CUSTOMS:
        raise BusinessError("PARAM_ERROR", "customs参数格式错误")
    action = f.get("action_type") or "ADD"
    if action not in ("ADD", "MODIFY"):
        raise ProtocolError("action_type参数格式错误")
    sub_order_no = f.get("sub_order_no", "")
    fees, identity = _fees(f), _identity(f)
    now = sb.now()
    with sb.store.tx():
        order = get_order(sb, transaction_id=f["transaction_id"])
        if order is None or order["out_trade_no"] != f["out_trade_no"]:
            raise BusinessError("ORDERNOTEXIST", "订单不存在")
        if fees["order_fee"] is not None and fees["order_fee"] > order["total_fee"]:
            raise BusinessError("PARAM_ERROR", "order_fee不能大于订单金额")
        existing = sb.store.one(
            "SELECT * FROM declarations WHERE out_trade_no = ? AND sub_order_no = ? "
            "AND customs = ?", (order["out_trade_no"], sub_order_no, f["customs"]))
        if action == "MODIFY":
            identity = _modified_identity(existing, identity)
        fingerprint = json.dumps({**{k: f.get(k, "") for k in ("mch_customs_no", "fee_type",
                                                                *FEE_FIELDS)},
                                  **{k: identity.get(k, "") for k in IDENTITY_FIELDS}},
                                 sort_keys=True)
        if existing is not None and existing["fingerprint"] == fingerprint:
            return declaration_fields(existing)  # a retry of what is already declared
        if existing is not None and action == "ADD":
            raise BusinessError("PARAM_ERROR", "该订单已申报，修改申报请使用action_type=MODIFY")
        row = {
            "out_trade_no": order["out_trade_no"], "transaction_id": order["transaction_id"],
            "customs": f["customs"], "mch_customs_no": f["mch_customs_no"],
            "sub_order_no": sub_order_no, "fee_type": f.get("fee_type") or None, **fees,
            **{n: identity.get(n) for n in IDENTITY_FIELDS}, "state": "SUBMITTED",
            "cert_check_result": _cert_check(sb, order, identity), "explanation": None,
            "fingerprint": fingerprint, "modify_time": now,
            "due_at": now + sb.scaled(CUSTOMS_PROCESSING_SECONDS),
        }
        if existing is None:
            row["sub_order_id"] = "4200" + secrets.token_hex(12)
            sb.store.insert("declarations", row)
        else:
            row["sub_order_id"] = existing["sub_order_id"]
            sb.store.update("declarations", "id", existing["id"], row)
    sb.wake()
    return declaration_fields(row)


def declaration_fields(row: dict[str, Any]) -> dict[str, Any]:
    """The customdeclareorder reply fields for one declaration."""
    return {
        "state": row["state"], "transaction_id": row["transaction_id"],
        "out_trade_no": row["out_trade_no"], "sub_order_no": row["sub_order_no"] or None,
        "sub_order_id": row["sub_order_id"], "modify_time": wx_time(row["modify_time"]),
        "cert_check_result": row["cert_check_result"],
    }


def query(sb: Sandbox, f: dict[str, str]) -> dict[str, Any]:
    """customdeclarequery: every declaration of an order as numbered ``_$n`` fields."""
    if not f.get("customs"):
        raise lack("customs")
    order = get_order(sb, f.get("out_trade_no"), f.get("transaction_id"))
    clauses, params = ["customs = ?"], [f["customs"]]
    if order is not None:
        clauses.append("out_trade_no = ?")
        params.append(order["out_trade_no"])
    elif f.get("sub_order_id"):
        clauses.append("sub_order_id = ?")
        params.append(f["sub_order_id"])
    elif f.get("sub_order_no"):
        clauses.append("sub_order_no = ?")
        params.append(f["sub_order_no"])
    else:
        raise BusinessError("ORDERNOTEXIST", "订单不存在")
    rows = sb.store.all(f"SELECT * FROM declarations WHERE {' AND '.join(clauses)} "
                        "ORDER BY id", tuple(params))
    if not rows:
        raise BusinessError("ORDERNOTEXIST", "订单不存在")
    reply: dict[str, Any] = {"transaction_id": rows[0]["transaction_id"],
                             "out_trade_no": rows[0]["out_trade_no"], "count": len(rows)}
    for n, r in enumerate(rows):
        reply.update({
            f"sub_order_no_{n}": r["sub_order_no"] or None, f"sub_order_id_{n}": r["sub_order_id"],
            f"mch_customs_no_{n}": r["mch_customs_no"], f"customs_{n}": r["customs"],
            f"fee_type_{n}": r["fee_type"], f"order_fee_{n}": r["order_fee"],
            f"duty_{n}": r["duty"], f"transport_fee_{n}": r["transport_fee"],
            f"product_fee_{n}": r["product_fee"], f"state_{n}": r["state"],
            f"explanation_{n}": r["explanation"], f"modify_time_{n}": wx_time(r["modify_time"]),
            f"cert_check_result_{n}": r["cert_check_result"],
        })
    return reply


def finish_due_declarations(sb: Sandbox) -> None:
    """Give every SUBMITTED declaration whose delay has passed the customs' verdict."""
    now = sb.now()
    with sb.store.tx():
        for row in sb.store.all("SELECT * FROM declarations WHERE state = 'SUBMITTED' "
                                "AND due_at <= ?", (now,)):
            failed = row["cert_check_result"] == "DIFFERENT"
            sb.store.update("declarations", "id", row["id"], {
                "state": "FAIL" if failed else "SUCCESS", "due_at": None, "modify_time": now,
                "explanation": "订购人身份信息校验不一致" if failed else None})
