"""The payer's side: the dashboard, scan and H5 pages, the JS bridge, the JSON control API."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for

from . import bill, orders, refunds
from .bill import yuan
from .engine import DEFAULT_USER, SANDBOX_USERS, Faults, Sandbox
from .i18n import t
from .notify import notify_log
from .protocol import MD5, beijing, sign
from .views_api import sandbox

bp = Blueprint("payer", __name__, url_prefix="/_sandbox")
MAX_LATENCY_MS = 60_000  # longer than any client timeout; more would only hang a worker


def _username(name: str | None) -> str:
    names = {u.username for u in SANDBOX_USERS}
    return name if name in names else DEFAULT_USER.username


def _payer_openid(sb: Sandbox, order: dict[str, Any]) -> str | None:
    """Who pays from a form: a JSAPI order's own payer, else the user picked (or alice)."""
    if order["trade_type"] == "JSAPI":
        return None
    return sb.openid(_username(request.form.get("user")))


class BadPayload(ValueError):
    """A control-API request that is not the JSON object (or numbers) it must be."""


@bp.errorhandler(BadPayload)
def _bad_payload(exc: BadPayload) -> tuple[Response, int]:
    return _cors(jsonify({"error": str(exc)})), 400


def _json_object() -> dict[str, Any]:
    """The request's JSON body as a dict ({} when empty); BadPayload otherwise."""
    raw = request.get_data(as_text=True)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise BadPayload("the body must be a JSON object") from exc
    if not isinstance(data, dict):
        raise BadPayload("the body must be a JSON object")
    return data


def _text(data: dict[str, Any], name: str, default: str | None = None) -> str | None:
    value = data.get(name, default)
    if value is not None and not isinstance(value, str):
        raise BadPayload(f"{name} must be a string")
    return value


def _number(value: Any, name: str, *, integer: bool = False) -> float:
    """A finite number from JSON or a form; BadPayload for text, NaN, infinities or lists."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadPayload(f"{name} must be a number")
    try:
        number = float(value)
    except ValueError as exc:
        raise BadPayload(f"{name} must be a number") from exc
    if not math.isfinite(number) or (integer and not abs(number) < 2 ** 53):
        raise BadPayload(f"{name} must be a finite number")
    return float(int(number)) if integer else number


def _back(message: str) -> Response:
    return redirect(url_for("payer.index", msg=message), code=303)


def _refusal(exc: orders.PayRefused) -> str:
    return t("refused_" + exc.reason, **exc.params)


@bp.app_template_filter("yuan")
def _yuan_filter(fen: int | None) -> str:
    return "" if fen is None else "¥" + yuan(int(fen))


@bp.app_template_filter("bjtime")
def _bjtime_filter(ts: float | None) -> str:
    return "" if ts is None else beijing(ts).strftime("%Y-%m-%d %H:%M:%S")


# -- pages -------------------------------------------------------------------

@bp.get("/")
def index() -> str:
    """Everything the sandbox holds, newest first, with pay/fail/cancel buttons."""
    sb = sandbox()
    store = sb.store
    return render_template(
        "index.html", sb=sb, message=request.args.get("msg"),
        orders=store.all("SELECT * FROM orders ORDER BY created_at DESC LIMIT 100"),
        refunds=store.all("SELECT * FROM refunds ORDER BY created_at DESC LIMIT 100"),
        declarations=store.all("SELECT * FROM declarations ORDER BY modify_time DESC LIMIT 100"),
        notifies=notify_log(sb, 50), faults=sb.faults(), users=SANDBOX_USERS,
        openid=sb.openid, now=sb.now(), payable=orders.PAYABLE_STATES)


@bp.post("/orders/<out_trade_no>/<action>")
def order_action(out_trade_no: str, action: str) -> Response:
    """The dashboard's pay / fail / cancel buttons."""
    sb = sandbox()
    order = orders.get_order(sb, out_trade_no=out_trade_no)
    outcome = {"pay": "SUCCESS", "fail": "PAYERROR", "cancel": None}.get(action, "")
    if order is None or outcome == "":
        abort(404)
    assert order is not None
    if outcome is None:
        return _back(t("msg_cancelled", order=out_trade_no, state=order["trade_state"]))
    try:
        orders.pay(sb, order, outcome, _payer_openid(sb, order))
    except orders.PayRefused as exc:
        return _back(f"{out_trade_no}: {_refusal(exc)}")
    return _back(f"{out_trade_no}: {outcome}")


@bp.post("/refunds/<refund_id>/<status>")
def refund_action(refund_id: str, status: str) -> Response:
    """Settle a PROCESSING refund now, as SUCCESS, CHANGE or REFUNDCLOSE."""
    if status not in ("SUCCESS", "CHANGE", "REFUNDCLOSE"):
        abort(404)
    done = refunds.finish_refund(sandbox(), refund_id, status)
    if request.is_json:
        return jsonify({"ok": done is not None})
    if done is None:
        return _back(t("msg_refund_not_processing", refund_id=refund_id))
    return _back(t("msg_refund", refund_id=refund_id, status=status))


def _payer_page(order: dict[str, Any] | None, **extra: Any) -> str:
    sb = sandbox()
    return render_template("pay.html", order=order, merchant=sb.config.merchant_name,
                           users=SANDBOX_USERS, now=sb.now(), **extra)


@bp.get("/scan")
def scan() -> str:
    """What a phone shows after scanning a NATIVE code_url: amount, merchant, Pay/Cancel."""
    code_url = request.args.get("code_url", "")
    order = orders.find_payable(sandbox(), code_url=code_url) if code_url else None
    return _payer_page(order, key_name="code_url", key_value=code_url,
                       action=url_for("payer.scan_submit"), redirect_url="")


@bp.post("/scan")
def scan_submit() -> str:
    sb = sandbox()
    order = orders.find_payable(sb, code_url=request.form.get("code_url", ""))
    return _settle_from_page(sb, order, "")


@bp.get("/mweb")
def mweb() -> str:
    """The H5 (MWEB) cashier page that mweb_url leads to."""
    order = orders.find_payable(sandbox(), prepay_id=request.args.get("prepay_id", ""))
    return _payer_page(order, key_name="prepay_id", key_value=request.args.get("prepay_id", ""),
                       action=url_for("payer.mweb_submit"),
                       redirect_url=request.args.get("redirect_url", ""))


@bp.post("/mweb")
def mweb_submit() -> Any:
    sb = sandbox()
    order = orders.find_payable(sb, prepay_id=request.form.get("prepay_id", ""))
    return _settle_from_page(sb, order, request.form.get("redirect_url", ""))


def _settle_from_page(sb: Sandbox, order: dict[str, Any] | None, redirect_url: str) -> Any:
    if order is None:
        return render_template("message.html", title=t("order_not_found"),
                               message=t("no_order_for_code")), 404
    decision = request.form.get("decision")
    result = t("cancelled")
    if decision in ("pay", "fail"):
        try:
            orders.pay(sb, order, "SUCCESS" if decision == "pay" else "PAYERROR",
                       _payer_openid(sb, order))
            result = t("paid") if decision == "pay" else t("payment_failed")
        except orders.PayRefused as exc:
            result = t("cannot_pay_because", reason=_refusal(exc))
    if redirect_url and urlsplit(redirect_url).scheme in ("http", "https"):
        return redirect(redirect_url, code=303)
    return render_template("message.html", title=result, message=t(
        "order_amount", order=order["out_trade_no"], amount=yuan(order["total_fee"])))


# -- JSAPI stand-in ------------------------------------------------------------

@bp.get("/jsbridge.js")
def jsbridge() -> Response:
    """A WeixinJSBridge for ordinary browsers; the portal includes it only in development."""
    script = Path(__file__).with_name("static") / "jsbridge.js"
    resp = Response(script.read_text(encoding="utf-8"), mimetype="application/javascript")
    resp.headers["Cache-Control"] = "no-cache"
    return resp


def _cors(resp: Response) -> Response:
    # The bridge runs on the portal's origin and calls back to the simulator's.
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Access-Control-Allow-Headers"] = "Content-Type"
    resp.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    return resp


def verify_jsapi(sb: Sandbox, params: dict[str, Any]) -> dict[str, Any]:
    """Check getBrandWCPayRequest parameters as WeChat's client would; the order or ValueError."""
    keys = ("appId", "timeStamp", "nonceStr", "package", "signType")
    missing = [k for k in keys + ("paySign",) if not params.get(k)]
    if missing:
        raise ValueError("missing " + ", ".join(missing))
    if params["appId"] != sb.config.appid:
        raise ValueError("appId does not match the merchant")
    if not (str(params["timeStamp"]).isascii() and str(params["timeStamp"]).isdigit()):
        raise ValueError("timeStamp must be a string of seconds")
    expected = sign({k: str(params[k]) for k in keys}, sb.config.api_key,
                    str(params.get("signType") or MD5))
    if expected != params["paySign"]:
        raise ValueError("paySign 签名错误")
    package = str(params["package"])
    if not package.startswith("prepay_id="):
        raise ValueError("package must be prepay_id=…")
    order = orders.find_payable(sb, prepay_id=package[len("prepay_id="):])
    if order is None:
        raise ValueError("prepay_id not found")
    if order["trade_type"] != "JSAPI":
        raise ValueError("not a JSAPI order")
    return order


def _bridge_params() -> dict[str, Any]:
    return _json_object()


@bp.route("/jsapi/verify", methods=["POST", "OPTIONS"])
def jsapi_verify() -> Response:
    if request.method == "OPTIONS":
        return _cors(Response(status=204))
    sb = sandbox()
    try:
        order = verify_jsapi(sb, _bridge_params())
    except BadPayload:
        raise
    except ValueError as exc:
        return _cors(jsonify({"ok": False, "error": str(exc)}))
    return _cors(jsonify({"ok": True, "out_trade_no": order["out_trade_no"],
                          "amount": yuan(order["total_fee"]), "body": order["body"],
                          "merchant": sb.config.merchant_name,
                          "payable": order["trade_state"] in orders.PAYABLE_STATES}))


@bp.route("/jsapi/pay", methods=["POST", "OPTIONS"])
def jsapi_pay() -> Response:
    """Pay (or fail) a JSAPI order after checking paySign again; answers err_msg."""
    if request.method == "OPTIONS":
        return _cors(Response(status=204))
    sb = sandbox()
    body = _bridge_params()
    try:
        params = body.get("params") or {}
        if not isinstance(params, dict):
            raise BadPayload("params must be a JSON object")
        order = verify_jsapi(sb, params)
        orders.pay(sb, order, "PAYERROR" if body.get("outcome") == "fail" else "SUCCESS")
    except BadPayload:
        raise
    except (ValueError, orders.PayRefused) as exc:
        return _cors(jsonify({"err_msg": "get_brand_wcpay_request:fail", "err_desc": str(exc)}))
    failed = body.get("outcome") == "fail"
    return _cors(jsonify({"err_msg": "get_brand_wcpay_request:" + ("fail" if failed else "ok")}))


# -- JSON control API for tests ---------------------------------------------------

@bp.post("/pay")
def api_pay() -> Any:
    """{code_url|prepay_id|out_trade_no, openid?, outcome} → {transaction_id, trade_state}."""
    sb = sandbox()
    data = _json_object()
    order = orders.find_payable(sb, code_url=_text(data, "code_url"),
                                prepay_id=_text(data, "prepay_id"),
                                out_trade_no=_text(data, "out_trade_no"))
    outcome, openid = _text(data, "outcome", "SUCCESS"), _text(data, "openid")
    bank_type = _text(data, "bank_type", "OTHERS")
    if order is None:
        return jsonify({"error": "ORDERNOTEXIST"}), 404
    try:
        order = orders.pay(sb, order, outcome or "SUCCESS", openid, bank_type or "OTHERS")
    except orders.PayRefused as exc:
        return jsonify({"error": str(exc)}), 409
    return jsonify({"transaction_id": order.get("transaction_id"),
                    "trade_state": order["trade_state"], "out_trade_no": order["out_trade_no"]})


@bp.route("/faults", methods=["GET", "POST"])
def api_faults() -> Any:
    """Read or set latency_ms, error_rate and the notify fault (normal, drop, …)."""
    sb = sandbox()
    if request.method == "POST":
        data = _json_object() if request.is_json else request.form.to_dict()
        current = sb.faults()
        faults = Faults(
            latency_ms=int(_number(data.get("latency_ms", current.latency_ms) or 0,
                                   "latency_ms", integer=True)),
            error_rate=_number(data.get("error_rate", current.error_rate) or 0, "error_rate"),
            notify=_text(data, "notify", current.notify) or "normal")
        if faults.notify not in Faults.NOTIFY_MODES or not 0 <= faults.error_rate <= 1 \
                or not 0 <= faults.latency_ms <= MAX_LATENCY_MS:
            return jsonify({"error": "notify must be one of " + ", ".join(Faults.NOTIFY_MODES)
                            + f"; error_rate in [0, 1]; latency_ms in [0, {MAX_LATENCY_MS}]"}), 400
        sb.set_faults(faults)
        if not request.is_json:
            return _back(t("msg_faults"))
    f = sb.faults()
    return jsonify({"latency_ms": f.latency_ms, "error_rate": f.error_rate, "notify": f.notify})


@bp.post("/bill/adjust")
def api_bill_adjust() -> Response:
    """Bill a payment (out_trade_no) or refund (out_refund_no) for amount_fen, or leave it out (omit)."""
    data = _json_object()
    numbers = [n for n in (_text(data, "out_trade_no"), _text(data, "out_refund_no")) if n]
    amount = data.get("amount_fen")
    if len(numbers) != 1 or not isinstance(data.get("omit", False), bool) or (
            amount is not None and (isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0)):
        raise BadPayload("give one of out_trade_no or out_refund_no, with omit (true/false) "
                         "or amount_fen (a positive whole number of fen)")
    return jsonify(bill.adjust(sandbox(), out_trade_no=_text(data, "out_trade_no"),
                               out_refund_no=_text(data, "out_refund_no"), omit=data.get("omit", False),
                               amount_fen=amount))


@bp.get("/notifies")
def api_notifies() -> Response:
    """Every notify with each delivery attempt and the merchant's reply."""
    limit = request.args.get("limit", "200")
    if not (limit.isascii() and limit.isdigit()):
        raise BadPayload("limit must be a whole number")
    return jsonify(notify_log(sandbox(), min(int(limit), 1000)))


@bp.get("/users")
def api_users() -> Response:
    """The sandbox payers with their openids (and the identity customs checks against)."""
    sb = sandbox()
    return jsonify([{"username": u.username, "nickname": u.nickname, "openid": sb.openid(u.username),
                     "name": u.name, "cert_id": u.cert_id} for u in SANDBOX_USERS])


@bp.post("/clock")
def api_clock() -> Response:
    """Move the sandbox clock by shift_seconds (bills, expiries and due work follow)."""
    data = _json_object()
    offset = sandbox().shift_clock(_number(data.get("shift_seconds", 0), "shift_seconds"))
    return jsonify({"offset_seconds": offset, "now": sandbox().now()})


@bp.post("/reset")
def api_reset() -> Any:
    """Forget everything: orders, refunds, notifies, declarations, faults, clock."""
    sandbox().store.reset()
    if request.is_json or not request.form:
        return jsonify({"ok": True})
    return _back(t("msg_reset"))
