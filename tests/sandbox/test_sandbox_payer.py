"""OAuth, the payer pages, the JS bridge and the JSON control API."""
from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from sandbox.wechatpay.protocol import sign
from tests.sandbox_fixtures import API_KEY, APP_SECRET, APPID


def jsapi_order(server, out_trade_no="JSAPI_ORDER_1", user="alice"):
    return server.call("pay/unifiedorder", {
        "body": "JSAPI 测试", "out_trade_no": out_trade_no, "total_fee": "888",
        "spbill_create_ip": "127.0.0.1", "notify_url": "http://127.0.0.1:9/n",
        "trade_type": "JSAPI", "openid": server.openid(user)})


def paid(server, out_trade_no="CUSTOMS_1", user="alice"):
    jsapi_order(server, out_trade_no, user)
    return server.control("POST", "_sandbox/pay", json={"out_trade_no": out_trade_no}).json()


# -- OAuth -------------------------------------------------------------------------

def authorize(server, scope="snsapi_base", **extra):
    params = {"appid": APPID, "redirect_uri": "http://portal.test/wx/callback?next=/pay",
              "response_type": "code", "scope": scope, "state": "s1", **extra}
    return requests.get(server.url + "connect/oauth2/authorize", params=params,
                        allow_redirects=False)


def exchange(server, code, **extra):
    return requests.get(server.url + "sns/oauth2/access_token", params={
        "appid": APPID, "secret": APP_SECRET, "code": code,
        "grant_type": "authorization_code", **extra}).json()


@pytest.mark.parametrize("scope", [None, "", "snsapi_login", "snsapi_base,snsapi_userinfo"])
def test_authorize_without_a_valid_scope_shows_wechats_error(sandbox_server, scope) -> None:
    params = {"appid": APPID, "redirect_uri": "http://portal.test/wx/callback",
              "response_type": "code", "state": "s1"}
    if scope is not None:
        params["scope"] = scope
    resp = requests.get(sandbox_server.url + "connect/oauth2/authorize", params=params,
                        allow_redirects=False)
    assert resp.status_code == 400 and "Location" not in resp.headers
    assert "scope参数错误或没有scope权限" in resp.text
    assert sandbox_server.sandbox.store.one("SELECT * FROM oauth_codes") is None


def test_snsapi_base_redirects_back_and_code_works_once(sandbox_server) -> None:
    resp = authorize(sandbox_server)
    assert resp.status_code == 302
    target = urlsplit(resp.headers["Location"])
    query = parse_qs(target.query)
    assert target.netloc == "portal.test" and query["next"] == ["/pay"] and query["state"] == ["s1"]
    token = exchange(sandbox_server, query["code"][0])
    assert token["openid"] == sandbox_server.openid("alice") and token["expires_in"] == 7200
    assert token["scope"] == "snsapi_base" and token["access_token"] and token["refresh_token"]
    reused = exchange(sandbox_server, query["code"][0])
    assert reused["errcode"] == 40163 and reused["errmsg"].startswith("code been used, ")
    assert "openid" not in reused


def test_openid_is_stable_per_user(sandbox_server) -> None:
    def openid(user):
        code = parse_qs(urlsplit(authorize(sandbox_server, sandbox_user=user)
                                 .headers["Location"]).query)["code"][0]
        return exchange(sandbox_server, code)["openid"]
    assert openid("bob") == openid("bob") == sandbox_server.openid("bob") != openid("alice")
    assert re.fullmatch(r"o[\w-]{27}", openid("carol"))


def test_code_expires_after_five_minutes(sandbox_server) -> None:
    code = parse_qs(urlsplit(authorize(sandbox_server).headers["Location"]).query)["code"][0]
    sandbox_server.sandbox.shift_clock(301)
    assert exchange(sandbox_server, code)["errcode"] == 40029


def test_access_token_errors(sandbox_server) -> None:
    unknown = exchange(sandbox_server, "nope")
    assert unknown["errcode"] == 40029 and unknown["errmsg"].startswith("invalid code, ")
    assert exchange(sandbox_server, "nope", secret="wrong")["errcode"] == 40125
    assert exchange(sandbox_server, "nope", appid="wx0")["errcode"] == 40013
    assert authorize(sandbox_server, appid="wx0").status_code == 400


def test_snsapi_userinfo_shows_consent_then_redirects(sandbox_server) -> None:
    page = authorize(sandbox_server, scope="snsapi_userinfo")
    assert page.status_code == 200 and ">允许</button>" in page.text
    form = {"appid": APPID, "redirect_uri": "http://portal.test/cb", "scope": "snsapi_userinfo",
            "state": "s2", "sandbox_user": "carol", "decision": "allow"}
    resp = requests.post(sandbox_server.url + "connect/oauth2/authorize/confirm", data=form,
                         allow_redirects=False)
    query = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert exchange(sandbox_server, query["code"][0])["openid"] == sandbox_server.openid("carol")
    denied = requests.post(sandbox_server.url + "connect/oauth2/authorize/confirm",
                           data={**form, "decision": "deny"}, allow_redirects=False)
    assert "code" not in parse_qs(urlsplit(denied.headers["Location"]).query)


# -- payer pages -------------------------------------------------------------------

def test_dashboard_lists_and_buttons_pay(sandbox_server) -> None:
    prepay = sandbox_server.call("pay/unifiedorder", {
        "body": "看板订单", "out_trade_no": "BOARD_1", "total_fee": "1234",
        "spbill_create_ip": "127.0.0.1", "notify_url": "http://127.0.0.1:9/n",
        "trade_type": "NATIVE", "product_id": "P"})
    page = requests.get(sandbox_server.url + "_sandbox/")
    assert page.status_code == 200 and "BOARD_1" in page.text and "¥12.34" in page.text
    assert 'name="viewport"' in page.text
    resp = requests.post(sandbox_server.url + "_sandbox/orders/BOARD_1/pay")
    assert resp.status_code == 200 and "BOARD_1: SUCCESS" in resp.text
    assert sandbox_server.call("pay/orderquery", {"out_trade_no": "BOARD_1"})[
        "trade_state"] == "SUCCESS"
    scan = requests.get(sandbox_server.url + "_sandbox/scan",
                        params={"code_url": prepay["code_url"]})
    assert "¥12.34" in scan.text and "此订单不能支付" in scan.text


def test_scan_page_pays_or_cancels(sandbox_server) -> None:
    prepay = sandbox_server.call("pay/unifiedorder", {
        "body": "扫码", "out_trade_no": "SCAN_1", "total_fee": "500",
        "spbill_create_ip": "127.0.0.1", "notify_url": "http://127.0.0.1:9/n",
        "trade_type": "NATIVE", "product_id": "P"})
    page = requests.get(sandbox_server.url + "_sandbox/scan", params={"code_url": prepay["code_url"]})
    assert "¥5.00" in page.text and ">支付</button>" in page.text and ">取消</button>" in page.text
    url = sandbox_server.url + "_sandbox/scan"
    cancel = requests.post(url, data={"code_url": prepay["code_url"], "decision": "cancel"})
    assert "已取消支付" in cancel.text
    assert sandbox_server.call("pay/orderquery", {"out_trade_no": "SCAN_1"})["trade_state"] == "NOTPAY"
    requests.post(url, data={"code_url": prepay["code_url"], "decision": "pay", "user": "bob"})
    q = sandbox_server.call("pay/orderquery", {"out_trade_no": "SCAN_1"})
    assert (q["trade_state"], q["openid"]) == ("SUCCESS", sandbox_server.openid("bob"))
    assert requests.get(url, params={"code_url": "weixin://nope"}).text.count("订单不存在")


def jsapi_params(prepay_id, key=API_KEY, sign_type="MD5"):
    params = {"appId": APPID, "timeStamp": str(int(time.time())), "nonceStr": "n0nce",
              "package": f"prepay_id={prepay_id}", "signType": sign_type}
    params["paySign"] = sign(params, key, sign_type)
    return params


def test_jsbridge_script_and_server_side_checks(sandbox_server) -> None:
    script = requests.get(sandbox_server.url + "_sandbox/jsbridge.js")
    assert script.headers["Content-Type"].startswith("application/javascript")
    for needle in ("window.WeixinJSBridge", "getBrandWCPayRequest", "WeixinJSBridgeReady",
                   "get_brand_wcpay_request:"):
        assert needle in script.text
    prepay = jsapi_order(sandbox_server)
    verify = sandbox_server.url + "_sandbox/jsapi/verify"
    forged = requests.post(verify, data=json.dumps(jsapi_params(prepay["prepay_id"], "k" * 32)))
    assert forged.json()["ok"] is False and forged.headers["Access-Control-Allow-Origin"] == "*"
    good = requests.post(verify, data=json.dumps(jsapi_params(prepay["prepay_id"])),
                         headers={"Content-Type": "text/plain"}).json()
    assert good["ok"] and good["amount"] == "8.88"
    pay = requests.post(sandbox_server.url + "_sandbox/jsapi/pay", data=json.dumps(
        {"params": jsapi_params(prepay["prepay_id"], sign_type="HMAC-SHA256"), "outcome": "ok"}))
    assert pay.json() == {"err_msg": "get_brand_wcpay_request:ok"}
    assert sandbox_server.call("pay/orderquery", {"out_trade_no": "JSAPI_ORDER_1"})["trade_state"] == "SUCCESS"
    again = requests.post(sandbox_server.url + "_sandbox/jsapi/pay", data=json.dumps(
        {"params": jsapi_params(prepay["prepay_id"]), "outcome": "ok"}))
    assert again.json()["err_msg"] == "get_brand_wcpay_request:fail"


def test_control_pay_by_prepay_id_and_unknown(sandbox_server) -> None:
    prepay = jsapi_order(sandbox_server, user="bob")
    resp = sandbox_server.control("POST", "_sandbox/pay", json={"prepay_id": prepay["prepay_id"]})
    assert re.fullmatch(r"4200\d{24}", resp.json()["transaction_id"])
    assert sandbox_server.control("POST", "_sandbox/pay",
                                  json={"out_trade_no": "NOPE_1"}).status_code == 404
    users = sandbox_server.control("GET", "_sandbox/users").json()
    assert {u["username"] for u in users} >= {"alice", "bob"}


def test_dashboard_pays_a_jsapi_order_as_its_own_payer(sandbox_server) -> None:
    jsapi_order(sandbox_server, "JSAPI_BOB_1", user="bob")
    resp = requests.post(sandbox_server.url + "_sandbox/orders/JSAPI_BOB_1/pay",
                         data={"user": "alice"})
    assert "JSAPI_BOB_1: SUCCESS" in resp.text
    q = sandbox_server.call("pay/orderquery", {"out_trade_no": "JSAPI_BOB_1"})
    assert (q["trade_state"], q["openid"]) == ("SUCCESS", sandbox_server.openid("bob"))
    assert requests.post(sandbox_server.url + "_sandbox/orders/JSAPI_BOB_1/explode").status_code == 404


def test_mweb_cashier_returns_to_the_merchant(sandbox_server) -> None:
    scene = json.dumps({"h5_info": {"type": "Wap", "wap_url": "https://kj.test", "wap_name": "KJ"}})
    prepay = sandbox_server.call("pay/unifiedorder", {
        "body": "H5", "out_trade_no": "MWEB_PAY_1", "total_fee": "300",
        "spbill_create_ip": "127.0.0.1", "notify_url": "http://127.0.0.1:9/n",
        "trade_type": "MWEB", "scene_info": scene})
    back = "http://portal.test/orders/7/paid"
    page = requests.get(prepay["mweb_url"], params={"redirect_url": back})
    assert "¥3.00" in page.text and back in page.text
    resp = requests.post(sandbox_server.url + "_sandbox/mweb", allow_redirects=False, data={
        "prepay_id": prepay["prepay_id"], "redirect_url": back, "decision": "pay"})
    assert (resp.status_code, resp.headers["Location"]) == (303, back)
    assert sandbox_server.call("pay/orderquery", {"out_trade_no": "MWEB_PAY_1"})[
        "trade_state"] == "SUCCESS"
