"""Prepay over the API against the WeChat Pay simulator: NATIVE, JSAPI, MWEB; paying, cancelling."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select, update

from app.core.models import utcnow
from app.extensions import db
from app.payments import services as pay
from app.payments.models import Attempt
from sandbox.wechatpay.orders import get_order
from tests.api.conftest import lines


@pytest.fixture
def order(api, shop) -> dict:
    r = api.post("/api/v1/orders", json=lines((shop.cny_offer, 1)))
    assert r.status_code == 201
    return r.get_json()


def _prepay(api, order: dict, **body) -> requests.Response:
    return api.post(f"/api/v1/orders/{order['id']}/prepay", json=body)


def _at_wechat(wechat, out_trade_no: str) -> dict:
    found = get_order(wechat.sandbox, out_trade_no=out_trade_no)
    assert found is not None, f"WeChat has no order {out_trade_no}"
    return found


def _poll(out_trade_no: str) -> None:
    pay.query(db.session.scalar(select(Attempt).where(Attempt.out_trade_no == out_trade_no)), "poll")


def test_native_gives_a_qr_code_and_the_order_shows_the_payment(api, order, wechat):
    r = _prepay(api, order, trade_type="NATIVE")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["code_url"].startswith("weixin://wxpay/bizpayurl?pr=") and body["trade_type"] == "NATIVE"
    assert body["out_trade_no"] == order["number"] + "N1"
    at_wechat = _at_wechat(wechat, body["out_trade_no"])
    assert (at_wechat["total_fee"], at_wechat["spbill_create_ip"]) == (order["total_fen"], "127.0.0.1")
    assert api.get(f"/api/v1/orders/{order['id']}").get_json()["out_trade_no"] == body["out_trade_no"]
    assert _prepay(api, order, trade_type="NATIVE").get_json()["code_url"] == body["code_url"], \
        "the same QR code while it is good"
    paid = wechat.control("POST", "_sandbox/pay", json={"code_url": body["code_url"]}).json()
    _poll(body["out_trade_no"])
    shown = api.get(f"/api/v1/orders/{order['id']}").get_json()
    assert shown["state"] == "paid" and shown["paid_at"]
    assert shown["payments"] == [{"transaction_id": paid["transaction_id"], "total_fee": order["total_fen"],
                                  "trade_type": "NATIVE", "paid_at": shown["payments"][0]["paid_at"]}]
    again = _prepay(api, order, trade_type="MWEB")
    assert again.status_code == 409
    assert again.get_json()["error"] == {"code": "already_paid", "field": None, "message": "该订单已付款。"}


def test_jsapi_gives_signed_bridge_parameters_wechat_accepts(api, order, wechat):
    bob = wechat.openid("bob")
    r = _prepay(api, order, trade_type="JSAPI", openid=bob)
    assert r.status_code == 200, r.get_json()
    params = r.get_json()["jsapi"]
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert isinstance(params["timeStamp"], str) and params["timeStamp"].isdigit()
    assert params["signType"] == "MD5", "the sign type the prepay was made with"
    at_wechat = _at_wechat(wechat, r.get_json()["out_trade_no"])
    assert params["package"] == f"prepay_id={at_wechat['prepay_id']}" and at_wechat["openid"] == bob
    verified = wechat.control("POST", "_sandbox/jsapi/verify", data=json.dumps(params)).json()
    assert verified["ok"] is True, verified
    paid = wechat.control("POST", "_sandbox/jsapi/pay", data=json.dumps({"params": params, "outcome": "ok"})).json()
    assert paid["err_msg"] == "get_brand_wcpay_request:ok"
    _poll(r.get_json()["out_trade_no"])
    shown = api.get(f"/api/v1/orders/{order['id']}").get_json()
    assert shown["state"] == "paid" and shown["payments"][0]["trade_type"] == "JSAPI"
    assert shown["out_trade_no"] == r.get_json()["out_trade_no"]


def test_jsapi_uses_the_openid_the_portal_learnt_else_asks_for_one(api, order, buyer, wechat, db_session):
    r = _prepay(api, order, trade_type="JSAPI")
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "openid"
    assert db_session.scalar(select(func.count()).select_from(Attempt)) == 0
    buyer.wechat_openid = wechat.openid("carol")
    db_session.flush()
    r = _prepay(api, order, trade_type="JSAPI")
    assert r.status_code == 200
    assert _at_wechat(wechat, r.get_json()["out_trade_no"])["openid"] == wechat.openid("carol")


def test_mweb_gives_an_h5_link_with_the_portals_scene(api, order, wechat, use_config):
    use_config(PUBLIC_BASE_URL="https://portal.example.test")
    r = _prepay(api, order, trade_type="MWEB")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["mweb_url"].startswith(wechat.url.rstrip("/"))
    scene = json.loads(_at_wechat(wechat, r.get_json()["out_trade_no"])["scene_info"])
    assert scene == {"h5_info": {"type": "Wap", "wap_url": "https://portal.example.test", "wap_name": "Kuajing"}}


@pytest.mark.parametrize("body, field", [
    ({}, "trade_type"),
    ({"trade_type": "APP"}, "trade_type"),
    ({"trade_type": "native"}, "trade_type"),
    ({"trade_type": "NATIVE", "openid": "o-alice"}, "openid"),
    ({"trade_type": "JSAPI", "openid": "o alice; drop"}, "openid"),
    ({"trade_type": "JSAPI", "openid": 42}, "openid"),
    ({"trade_type": "NATIVE", "amount": 1}, "amount"),
])
def test_a_bad_prepay_body_is_400_and_asks_wechat_nothing(api, order, wechat, db_session, body, field):
    r = _prepay(api, order, **body)
    assert r.status_code == 400 and r.get_json()["error"]["field"] == field
    assert db_session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_wechat_not_answering_is_503_and_keeps_nothing(api, order, wechat, db_session):
    wechat.control("POST", "_sandbox/faults", json={"error_rate": 1})
    r = _prepay(api, order, trade_type="NATIVE")
    assert r.status_code == 503 and r.get_json()["error"]["code"] == "payment_unavailable"
    assert db_session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_a_cancel_in_wechats_first_five_minutes_is_202_and_takes_no_more_payment(api, order, wechat):
    assert _prepay(api, order, trade_type="NATIVE").status_code == 200
    r = api.post(f"/api/v1/orders/{order['id']}/cancel")
    assert r.status_code == 202 and r.get_json()["state"] == "pending_payment"
    refused = _prepay(api, order, trade_type="MWEB")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "closed"


def test_a_cancel_that_finds_the_order_paid_is_409_and_the_payment_stands(api, order, wechat, db_session):
    body = _prepay(api, order, trade_type="NATIVE").get_json()
    wechat.control("POST", "_sandbox/pay", json={"code_url": body["code_url"]})
    db_session.execute(update(Attempt).where(Attempt.out_trade_no == body["out_trade_no"])
                       .values(created_at=utcnow() - timedelta(minutes=6)))
    wechat.control("POST", "_sandbox/clock", json={"shift_seconds": 360})
    r = api.post(f"/api/v1/orders/{order['id']}/cancel")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_paid"
    shown = api.get(f"/api/v1/orders/{order['id']}").get_json()
    assert shown["state"] == "paid" and len(shown["payments"]) == 1
