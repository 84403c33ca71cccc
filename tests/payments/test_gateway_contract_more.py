"""The adapter against the simulator: bills, OAuth, JSAPI, faults and transport errors."""
from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app.payments.gateway import (
    BEIJING,
    BadReply,
    BadSignature,
    BillType,
    GatewayMisconfigured,
    GatewayRejected,
    GatewayUnavailable,
    NoBill,
    OAuthCodeUsed,
    OAuthRejected,
    PrepayRequest,
    RefundRequest,
    TradeState,
    TradeType,
)
from app.payments.wechatpay import gateway_from_config
from sandbox.wechatpay.protocol import sign, to_xml
from tests.sandbox_fixtures import API_KEY, APPID, MCH_ID, MerchantServer


def paid(gateway, sandbox_server, out_trade_no, total_fee, trade_type=TradeType.NATIVE,
         user="alice"):
    openid = sandbox_server.openid(user) if trade_type is TradeType.JSAPI else None
    prepay = gateway.prepay(PrepayRequest(out_trade_no, f"商品 {out_trade_no}", total_fee,
                                          trade_type, "203.0.113.9", openid=openid,
                                          attach=f"a-{out_trade_no}"))
    resp = sandbox_server.control("POST", "_sandbox/pay", json={
        "prepay_id": prepay.prepay_id, "openid": sandbox_server.openid(user)})
    return resp.json()["transaction_id"]


def bill_day(sandbox_server):
    """Move the sandbox clock to 09:00:01 tomorrow (Beijing) so today's bill exists."""
    sb = sandbox_server.sandbox
    now = datetime.fromtimestamp(sb.now(), BEIJING)
    ready = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), BEIJING) \
        + timedelta(hours=9, seconds=1)
    sb.shift_clock(ready.timestamp() - sb.now())
    return now.date()


# -- bills ----------------------------------------------------------------------------

def test_bill_parses_back_to_the_same_trades(gateway, sandbox_server) -> None:
    trades = {f"KJ-BILL-{n}": paid(gateway, sandbox_server, f"KJ-BILL-{n}", fee)
              for n, fee in enumerate([1, 199, 25900, 100000])}
    refund = gateway.refund(RefundRequest("RF-BILL-1", 25900, 900, out_trade_no="KJ-BILL-2"))
    day = bill_day(sandbox_server)

    bill = gateway.download_bill(day, BillType.ALL)
    payments = {r.out_trade_no: r for r in bill.rows if r.trade_state == "SUCCESS"}
    assert {k: (r.transaction_id, r.total_fee, r.settlement_fee) for k, r in payments.items()} \
        == {k: (tid, fee, fee) for (k, tid), fee in zip(trades.items(), [1, 199, 25900, 100000])}
    row = payments["KJ-BILL-2"]
    assert (row.appid, row.mch_id, row.trade_type, row.attach, row.body) == (
        APPID, MCH_ID, "NATIVE", "a-KJ-BILL-2", "商品 KJ-BILL-2")
    assert row.fee_1e5_yuan == 155_000 and row.rate == "0.60%"   # 0.6% of 259.00 = 1.55400 → 1.55
    assert row.traded_at.utcoffset() == timedelta(hours=8) and row.traded_at.date() == day
    [refund_row] = [r for r in bill.rows if r.trade_state == "REFUND"]
    assert (refund_row.refund_id, refund_row.out_refund_no, refund_row.refund_fee) == (
        refund.refund_id, "RF-BILL-1", 900)
    assert bill.summary.count == 5
    assert bill.summary.settlement_total == 1 + 199 + 25900 + 100000
    assert bill.summary.refund_total == 900
    assert bill.summary.fee_total_1e5_yuan == sum(r.fee_1e5_yuan for r in bill.rows)

    success = gateway.download_bill(day, BillType.SUCCESS)
    assert sorted(r.out_trade_no for r in success.rows) == sorted(trades)
    assert success.summary.refund_total is None
    refunds = gateway.download_bill(day, BillType.REFUND)
    assert [r.refund_id for r in refunds.rows] == [refund.refund_id]
    assert refunds.rows[0].refund_applied_at is not None


def test_no_bill(gateway, sandbox_server) -> None:
    day = bill_day(sandbox_server)
    with pytest.raises(NoBill) as err:
        gateway.download_bill(day)
    assert (err.value.code, err.value.message) == ("20002", "No Bill Exist")
    with pytest.raises(GatewayRejected) as err:
        gateway.download_bill(day + timedelta(days=1))
    assert err.value.code == "20001"


# -- JSAPI and OAuth -------------------------------------------------------------------

def test_oauth_url_and_code_exchange(gateway, sandbox_server) -> None:
    url = gateway.oauth_url("http://portal.test/wx/back?next=/pay/9", state="st4te")
    assert url.startswith(sandbox_server.url + "connect/oauth2/authorize?appid=" + APPID)
    assert url.endswith("#wechat_redirect")
    back = requests.get(url, allow_redirects=False).headers["Location"]
    query = parse_qs(urlsplit(back).query)
    assert query["state"] == ["st4te"] and query["next"] == ["/pay/9"]
    identity = gateway.exchange_oauth_code(query["code"][0])
    assert identity.openid == sandbox_server.openid("alice") and identity.scope == "snsapi_base"
    with pytest.raises(OAuthCodeUsed) as used:
        gateway.exchange_oauth_code(query["code"][0])
    assert used.value.code == "40163"
    with pytest.raises(OAuthRejected) as invalid:
        gateway.exchange_oauth_code("never-issued")
    assert invalid.value.code == "40029" and not isinstance(invalid.value, OAuthCodeUsed)
    assert "snsapi_userinfo" in gateway.oauth_url("http://p.test/", "s", scope="snsapi_userinfo")


def test_jsapi_params_pay_through_the_bridge_endpoint(gateway, sandbox_server) -> None:
    prepay = gateway.prepay(PrepayRequest("KJ-JS-0001", "JSAPI", 1234, TradeType.JSAPI,
                                          "198.51.100.7", openid=sandbox_server.openid("bob")))
    params = gateway.jsapi_params(prepay.prepay_id).as_dict()
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["package"] == f"prepay_id={prepay.prepay_id}" and params["timeStamp"].isdigit()
    resp = requests.post(sandbox_server.url + "_sandbox/jsapi/pay",
                         data=json.dumps({"params": params, "outcome": "ok"}))
    assert resp.json()["err_msg"] == "get_brand_wcpay_request:ok"
    status = gateway.query_order(out_trade_no="KJ-JS-0001")
    assert status.trade_state is TradeState.SUCCESS and status.openid == sandbox_server.openid("bob")


# -- faults and transport errors ----------------------------------------------------------

def test_error_rate_is_unavailable(gateway, sandbox_server) -> None:
    sandbox_server.control("POST", "_sandbox/faults", json={"error_rate": 1})
    with pytest.raises(GatewayUnavailable) as err:
        gateway.query_order(out_trade_no="KJ-ANY-0001")
    assert err.value.code == "SYSTEMERROR"
    with pytest.raises(GatewayUnavailable):
        gateway.download_bill(bill_day(sandbox_server))


def test_latency_beyond_the_timeout_is_unavailable(make_gateway, sandbox_server) -> None:
    sandbox_server.control("POST", "_sandbox/faults", json={"latency_ms": 400})
    with pytest.raises(GatewayUnavailable):
        make_gateway(WECHATPAY_TIMEOUT="0.1").query_order(out_trade_no="KJ-ANY-0001")


def test_connection_refused_is_unavailable(make_gateway) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gw = make_gateway(WECHATPAY_API_BASE=f"http://127.0.0.1:{port}/")
    with pytest.raises(GatewayUnavailable):
        gw.query_order(out_trade_no="KJ-ANY-0001")
    with pytest.raises(GatewayUnavailable):
        make_gateway(WECHATPAY_SNS_BASE=f"http://127.0.0.1:{port}/").exchange_oauth_code("c")


@pytest.fixture
def fake_wechat(gateway_config):
    server = MerchantServer().start()
    yield server, gateway_from_config({**gateway_config, "WECHATPAY_API_BASE": server.base_url})
    server.stop()


def _signed_xml(fields, key=API_KEY):
    fields = {"appid": APPID, "mch_id": MCH_ID, "nonce_str": "n", **fields}
    return to_xml({**fields, "sign": sign(fields, key)})


def test_server_errors_and_odd_replies(fake_wechat) -> None:
    server, gw = fake_wechat
    server.status = 502
    with pytest.raises(GatewayUnavailable):
        gw.query_order(out_trade_no="KJ-ANY-0001")
    server.status = 404
    with pytest.raises(BadReply):
        gw.query_order(out_trade_no="KJ-ANY-0001")
    server.status = 200
    server.default_reply = "<html>proxy error</html"
    with pytest.raises(BadReply):
        gw.query_order(out_trade_no="KJ-ANY-0001")
    server.default_reply = "plain text, not XML"
    with pytest.raises(BadReply):
        gw.query_order(out_trade_no="KJ-ANY-0001")


def test_forged_replies_are_caught(fake_wechat) -> None:
    server, gw = fake_wechat
    paid_reply = {"return_code": "SUCCESS", "result_code": "SUCCESS", "out_trade_no": "KJ-1",
                  "trade_state": "SUCCESS", "total_fee": "100", "transaction_id": "4200" + "0" * 24}
    server.default_reply = _signed_xml(paid_reply, key="f" * 32)
    with pytest.raises(BadSignature):
        gw.query_order(out_trade_no="KJ-1")
    server.default_reply = to_xml({"appid": APPID, "mch_id": MCH_ID, **paid_reply})  # unsigned
    with pytest.raises(BadSignature):
        gw.query_order(out_trade_no="KJ-1")
    server.default_reply = _signed_xml({"return_code": "SUCCESS", "result_code": "FAIL",
                                        "err_code": "ORDERPAID", "err_code_des": "x"}, key="f" * 32)
    with pytest.raises(BadSignature):
        gw.close_order("KJ-1")
    server.default_reply = _signed_xml({**paid_reply, "mch_id": "1234567890"})
    with pytest.raises(BadReply):  # validly signed, but for another merchant
        gw.query_order(out_trade_no="KJ-1")
    good = _signed_xml(paid_reply)
    server.default_reply = good
    assert gw.query_order(out_trade_no="KJ-1").is_paid


def test_factory_makes_a_dev_certificate_only_off_wechats_hosts(gateway_config, tmp_path) -> None:
    gw = gateway_from_config({**gateway_config, "INSTANCE_PATH": str(tmp_path)})
    assert gw.cert_path and open(gw.cert_path).read().startswith("-----BEGIN CERTIFICATE-----")
    real = gateway_from_config({**gateway_config, "INSTANCE_PATH": str(tmp_path / "real"),
                                "WECHATPAY_API_BASE": "https://api.mch.weixin.qq.com/",
                                "WECHATPAY_OAUTH_BASE": "", "WECHATPAY_SNS_BASE": ""})
    assert real.cert_path is None and not (tmp_path / "real").exists()
    assert (real.oauth_base, real.sns_base) == ("https://open.weixin.qq.com/",
                                                "https://api.weixin.qq.com/")
    dev = gateway_from_config({k: v for k, v in gateway_config.items()
                               if k not in ("WECHATPAY_OAUTH_BASE", "WECHATPAY_SNS_BASE")})
    assert dev.oauth_url("http://p.test/cb", "s").startswith(
        gateway_config["WECHATPAY_API_BASE"] + "connect/oauth2/authorize?")
    with pytest.raises(GatewayMisconfigured):
        gateway_from_config({**gateway_config, "WECHATPAY_API_KEY": ""})
    with pytest.raises(GatewayMisconfigured):
        gateway_from_config({**gateway_config, "WECHATPAY_CERT_PATH": str(tmp_path / "none.pem"),
                             "WECHATPAY_KEY_PATH": str(tmp_path / "none.key")})
