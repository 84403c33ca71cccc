"""Payment and refund notifies: what WeChat posts to the merchant, and when.

A notify is stored with its unsigned fields and its next due time; the
scheduler delivers it, records every attempt with the merchant's reply, and
reschedules on WeChat's retry table until the merchant answers
``<return_code>SUCCESS</return_code>``. Faults are applied at delivery time.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
import xmltodict
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .engine import NOTIFY_RETRY_DELAYS, Sandbox
from .protocol import nonce, sign, to_xml, wx_dashed_time, wx_time

log = logging.getLogger(__name__)
NOTIFY_TIMEOUT_SECONDS = 5.0
CLAIM_LEASE_SECONDS = 60.0


def encrypt_req_info(plain_xml: str, api_key: str) -> str:
    """AES-256-ECB with PKCS7 under the lower-case hex MD5 of the API key, base64."""
    key = hashlib.md5(api_key.encode("utf-8")).hexdigest().lower().encode("ascii")
    padder = padding.PKCS7(128).padder()
    data = padder.update(plain_xml.encode("utf-8")) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode("ascii")


def decrypt_req_info(req_info: str, api_key: str) -> str:
    """The inverse of `encrypt_req_info`, for tests and the payer page."""
    key = hashlib.md5(api_key.encode("utf-8")).hexdigest().lower().encode("ascii")
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    data = decryptor.update(base64.b64decode(req_info)) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return (unpadder.update(data) + unpadder.finalize()).decode("utf-8")


def queue_payment_notify(sb: Sandbox, order: dict[str, Any], now: float) -> int:
    """Store the payment notify for a just-paid order, due at once."""
    fields = {
        "appid": order["appid"], "mch_id": order["mch_id"],
        "device_info": order["device_info"],
        "result_code": "SUCCESS", "return_code": "SUCCESS",
        "openid": order["openid"], "is_subscribe": "N",
        "trade_type": order["trade_type"], "bank_type": order["bank_type"],
        "total_fee": order["total_fee"], "fee_type": order["fee_type"],
        "cash_fee": order["cash_fee"], "transaction_id": order["transaction_id"],
        "out_trade_no": order["out_trade_no"], "attach": order["attach"],
        "time_end": wx_time(order["paid_at"]),
    }
    fields = {k: v for k, v in fields.items() if v not in (None, "")}
    return sb.store.insert("notifies", {
        "kind": "payment", "out_trade_no": order["out_trade_no"], "out_refund_no": None,
        "url": order["notify_url"], "fields": json.dumps(fields, ensure_ascii=False),
        # An HMAC-SHA256 order gets HMAC-signed notifies (without a sign_type field).
        "sign_type": order["sign_type"], "attempts": 0, "next_due_at": now,
        "state": "pending", "created_at": now,
    })


def queue_refund_notify(sb: Sandbox, refund: dict[str, Any], order: dict[str, Any],
                        now: float) -> int:
    """Store the refund notify for a refund that has just reached its final status."""
    inner = {
        "transaction_id": order["transaction_id"], "out_trade_no": order["out_trade_no"],
        "refund_id": refund["refund_id"], "out_refund_no": refund["out_refund_no"],
        "total_fee": order["total_fee"], "settlement_total_fee": order["total_fee"],
        "refund_fee": refund["refund_fee"], "settlement_refund_fee": refund["refund_fee"],
        "refund_status": refund["status"],
        "success_time": wx_dashed_time(refund["success_at"]) if refund["success_at"] else "",
        "refund_recv_accout": "支付用户的零钱",
        "refund_account": "REFUND_SOURCE_UNSETTLED_FUNDS",
        "refund_request_source": "API",
    }
    return sb.store.insert("notifies", {
        "kind": "refund", "out_trade_no": order["out_trade_no"],
        "out_refund_no": refund["out_refund_no"], "url": refund["notify_url"],
        "fields": json.dumps(inner, ensure_ascii=False), "sign_type": "MD5",
        "attempts": 0, "next_due_at": now, "state": "pending", "created_at": now,
    })


def render_notify(sb: Sandbox, notify: dict[str, Any], variant: str) -> str:
    """The XML body of one delivery, with the named fault applied."""
    fields: dict[str, Any] = json.loads(notify["fields"])
    key = sb.config.api_key
    if notify["kind"] == "refund":
        if variant == "tamper_amount":
            fields["refund_fee"] = int(fields["refund_fee"]) + 1
            fields["settlement_refund_fee"] = fields["refund_fee"]
        root = "<root>" + "".join(
            f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items() if v != "") + "</root>"
        # A refund notify carries no sign: only the key can produce req_info.
        enc_key = key[::-1] if variant == "bad_sign" else key
        return to_xml({"return_code": "SUCCESS", "appid": sb.config.appid,
                       "mch_id": sb.config.mch_id, "nonce_str": nonce(),
                       "req_info": encrypt_req_info(root, enc_key)})
    fields["nonce_str"] = nonce()
    if variant == "tamper_amount":
        # Correctly signed but for another amount: only the merchant's amount check catches it.
        fields["total_fee"] = int(fields["total_fee"]) + 1
        fields["cash_fee"] = fields["total_fee"]
    signature = sign(fields, key, notify["sign_type"])
    if variant == "bad_sign":
        signature = sign(fields, key[::-1], notify["sign_type"])
    return to_xml({**fields, "sign": signature})


def _acknowledged(reply: str) -> bool:
    try:
        doc = xmltodict.parse(reply)
    except Exception:  # noqa: BLE001 - any unparsable reply is a refusal
        return False
    root = doc.get("xml") if isinstance(doc, dict) else None
    return isinstance(root, dict) and root.get("return_code") == "SUCCESS"


def _post(url: str, body: str) -> tuple[int | None, str, str | None]:
    # Deliver directly, as WeChat would: a developer's proxy settings must not apply.
    session = requests.Session()
    session.trust_env = False
    try:
        resp = session.post(url, data=body.encode("utf-8"), timeout=NOTIFY_TIMEOUT_SECONDS,
                             headers={"Content-Type": "text/xml; charset=utf-8",
                                      "User-Agent": "Mozilla/4.0 (WeChatPay sandbox)"})
        return resp.status_code, resp.text[:2000], None
    except requests.RequestException as exc:
        return None, "", f"{type(exc).__name__}: {exc}"[:500]
    finally:
        session.close()


def deliver(sb: Sandbox, notify_id: int, pool: ThreadPoolExecutor | None = None) -> bool:
    """Make one delivery attempt of a notify and schedule the next; True if acknowledged."""
    notify = sb.store.one("SELECT * FROM notifies WHERE id = ?", (notify_id,))
    if notify is None or notify["state"] != "pending" or notify["next_due_at"] is None:
        return False
    started = sb.now()
    due_at = notify["next_due_at"]
    if due_at > started:
        return False  # not due, or leased by another delivery that is under way
    # Claim the attempt by pushing its due time out for a while: a second process over
    # the same file, or a second scheduler, then finds nothing due; if this process dies
    # mid-delivery, the notify comes due again once the lease has passed.
    claimed = sb.store.execute(
        "UPDATE notifies SET next_due_at = ? WHERE id = ? AND state = 'pending' "
        "AND next_due_at = ?", (started + CLAIM_LEASE_SECONDS, notify_id, due_at)).rowcount
    if claimed != 1:
        return False
    mode = sb.faults().notify
    attempt = notify["attempts"] + 1
    records: list[dict[str, Any]] = []
    if mode == "drop":
        records.append({"variant": "drop", "request_body": None, "status_code": None,
                        "reply": "", "error": "dropped by the sandbox (fault: drop)",
                        "acknowledged": 0})
    else:
        variant = mode if mode in ("bad_sign", "tamper_amount") else "normal"
        copies = 2 if mode == "duplicate" else 1
        bodies = [render_notify(sb, notify, variant) for _ in range(copies)]
        if copies > 1 and pool is not None:
            # Two WeChat servers delivering the same notify at the same moment.
            results = list(pool.map(lambda b: _post(notify["url"], b), bodies))
        else:
            results = [_post(notify["url"], b) for b in bodies]
        for body, (status, reply, error) in zip(bodies, results):
            ok = status == 200 and _acknowledged(reply)
            records.append({"variant": "duplicate" if copies > 1 else variant,
                            "request_body": body, "status_code": status, "reply": reply,
                            "error": error, "acknowledged": int(ok)})
    acknowledged = any(r["acknowledged"] for r in records)
    with sb.store.tx():
        for record in records:
            sb.store.insert("notify_attempts", {"notify_id": notify_id, "attempt": attempt,
                                                "due_at": due_at, "sent_at": started, **record})
        if acknowledged:
            state, next_due = "acknowledged", None
        elif mode == "drop":
            state, next_due = "dropped", None
        elif attempt > len(NOTIFY_RETRY_DELAYS):
            state, next_due = "given_up", None
        else:
            state = "pending"
            next_due = started + sb.scaled(NOTIFY_RETRY_DELAYS[attempt - 1])
        sb.store.update("notifies", "id", notify_id,
                        {"attempts": attempt, "state": state, "next_due_at": next_due})
    return acknowledged


def notify_log(sb: Sandbox, limit: int = 200) -> list[dict[str, Any]]:
    """Notifies with their attempts, newest first, for GET /_sandbox/notifies and the page."""
    notifies = sb.store.all("SELECT * FROM notifies ORDER BY id DESC LIMIT ?", (limit,))
    for n in notifies:
        n["fields"] = json.loads(n["fields"])
        n["attempt_log"] = sb.store.all(
            "SELECT attempt, due_at, sent_at, variant, status_code, reply, error, "
            "acknowledged, request_body FROM notify_attempts WHERE notify_id = ? ORDER BY id",
            (n["id"],))
        for a in n["attempt_log"]:
            a["acknowledged"] = bool(a["acknowledged"])
    return notifies
