"""The adapter's input checks and exception tree, against the simulator or a fake WeChat."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.payments.gateway import (BadReply, BadSignature, GatewayUnavailable, OrderAlreadyPaid,
                                  PrepayRequest, TradeType)
from app.payments.wechatpay import gateway_from_config
from sandbox.wechatpay import views_api
from sandbox.wechatpay.protocol import sign, to_xml
from tests.sandbox_fixtures import API_KEY, APPID, MCH_ID


def test_simulator_crash_reaches_the_adapter_as_unavailable(gateway, sandbox_server,
                                                            monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("parser broke")

    monkeypatch.setattr(views_api, "parse_xml", boom)
    with pytest.raises(GatewayUnavailable) as err:
        gateway.query_order(out_trade_no="KJ-ANY-0001")
    assert err.value.code == "SYSTEMERROR"


@pytest.mark.parametrize("client_ip", ["", "  ", "localhost", "999.1.1.1", "1.2.3", None,
                                       "203.0.113.9\n"])
def test_prepay_refuses_a_missing_or_invalid_client_ip_before_any_call(
        gateway, sandbox_server, monkeypatch, client_ip) -> None:
    import socket
    looked_up = []
    monkeypatch.setattr(socket, "gethostbyname", lambda host: looked_up.append(host) or "0.0.0.0")
    with pytest.raises(ValueError, match="client_ip"):
        gateway.prepay(PrepayRequest("KJ-IP-0001", "x", 100, TradeType.NATIVE, client_ip))
    assert looked_up == []
    assert sandbox_server.sandbox.store.one("SELECT * FROM orders") is None


def test_prepay_accepts_ipv6_client_ip(gateway, sandbox_server) -> None:
    gateway.prepay(PrepayRequest("KJ-IP-0002", "x", 100, TradeType.NATIVE, "2001:db8::1"))
    assert sandbox_server.sandbox.store.one("SELECT spbill_create_ip FROM orders")[
        "spbill_create_ip"] == "2001:db8::1"


def test_prepay_strips_control_characters_cdata_ends_and_backticks(gateway, sandbox_server) -> None:
    gateway.prepay(PrepayRequest(
        "KJ-TEXT-0001", "奶粉\r\nMilk]]>`x`\tpowder\x00\x1b\u2028!", 100, TradeType.NATIVE,
        "203.0.113.9", attach="company=7\n]]]]>>>`end"))
    row = sandbox_server.sandbox.store.one("SELECT body, attach FROM orders")
    assert row["body"] == "奶粉 Milkx powder !"
    assert row["attach"] == "company=7 >end"


def test_prepay_caps_body_and_attach_at_127_utf8_bytes(gateway, sandbox_server) -> None:
    gateway.prepay(PrepayRequest("KJ-TEXT-0002", "a" + "跨" * 60, 100, TradeType.NATIVE,
                                 "203.0.113.9", attach="b" + "境" * 60))
    row = sandbox_server.sandbox.store.one("SELECT body, attach FROM orders")
    assert row["body"] == "a" + "跨" * 42 and len(row["body"].encode()) == 127
    assert row["attach"] == "b" + "境" * 42


def test_prepay_with_nothing_left_of_the_body_is_refused(gateway, sandbox_server) -> None:
    with pytest.raises(ValueError, match="body"):
        gateway.prepay(PrepayRequest("KJ-TEXT-0003", "\r\n``", 100, TradeType.NATIVE,
                                     "203.0.113.9"))
    assert sandbox_server.sandbox.store.one("SELECT * FROM orders") is None


def test_bill_parses_even_when_merchants_sent_newlines_and_backticks(gateway,
                                                                    sandbox_server) -> None:
    from tests.payments.test_gateway_contract_more import bill_day
    from tests.sandbox.test_sandbox_orders import order

    reply = sandbox_server.call("pay/unifiedorder", order(
        "KJ-TEXT-0004", body="奶粉\nline two,`x`", attach="a\nb`c,`d", device_info="D`1"))
    assert reply["result_code"] == "SUCCESS"
    sandbox_server.control("POST", "_sandbox/pay", json={"code_url": reply["code_url"]})
    bill = gateway.download_bill(bill_day(sandbox_server))
    assert [(r.out_trade_no, r.body, r.attach) for r in bill.rows] == [
        ("KJ-TEXT-0004", "奶粉 line two,x", "a bc,d")]
    assert bill.summary.count == 1


# -- the exception tree ---------------------------------------------------------------

@pytest.fixture
def fake_wechat(gateway_config):
    from tests.sandbox_fixtures import MerchantServer

    server = MerchantServer().start()
    yield server, gateway_from_config({**gateway_config, "WECHATPAY_API_BASE": server.base_url})
    server.stop()


def test_a_reply_with_entities_is_a_bad_reply(fake_wechat) -> None:
    server, gw = fake_wechat
    server.default_reply = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x "SUCCESS">]>'
                            "<xml><return_code>&x;</return_code></xml>")
    with pytest.raises(BadReply):
        gw.query_order(out_trade_no="KJ-ANY-0001")


def test_a_forged_unsigned_business_failure_is_a_bad_signature(fake_wechat) -> None:
    server, gw = fake_wechat
    server.default_reply = to_xml({"return_code": "SUCCESS", "appid": APPID, "mch_id": MCH_ID,
                                   "nonce_str": "n", "result_code": "FAIL",
                                   "err_code": "ORDERPAID", "err_code_des": "该订单已支付"})
    with pytest.raises(BadSignature):
        gw.prepay(PrepayRequest("KJ-FORGED-1", "x", 100, TradeType.NATIVE, "203.0.113.9"))
    with pytest.raises(BadSignature):
        gw.close_order("KJ-FORGED-1")


def test_a_signed_business_failure_still_maps_to_its_exception(fake_wechat) -> None:
    server, gw = fake_wechat
    fields = {"return_code": "SUCCESS", "appid": APPID, "mch_id": MCH_ID, "nonce_str": "n",
              "result_code": "FAIL", "err_code": "ORDERPAID", "err_code_des": "该订单已支付"}
    server.default_reply = to_xml({**fields, "sign": sign(fields, API_KEY)})
    with pytest.raises(OrderAlreadyPaid):
        gw.close_order("KJ-PAID-1")


class _SnsHandler(BaseHTTPRequestHandler):
    body = b"[]"
    redirect = False

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.redirect:
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def fake_sns(make_gateway):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SnsHandler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server, make_gateway(WECHATPAY_SNS_BASE=f"http://127.0.0.1:{server.server_port}/")
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("body, error", [
    (b"[]", BadReply), (b'"text"', BadReply), (b"42", BadReply), (b"{not json", BadReply),
    (b'{"access_token": "t", "refresh_token": "r", "expires_in": 7200}', BadReply),
    (b'{"access_token": "t", "refresh_token": "r", "expires_in": "soon", "openid": "o"}',
     BadReply),
])
def test_odd_oauth_answers_are_bad_replies(fake_sns, monkeypatch, body, error) -> None:
    _, gw = fake_sns
    monkeypatch.setattr(_SnsHandler, "body", body)
    with pytest.raises(error):
        gw.exchange_oauth_code("code")


def test_every_oauth_transport_error_is_unavailable(fake_sns, make_gateway, monkeypatch) -> None:
    _, gw = fake_sns
    monkeypatch.setattr(_SnsHandler, "redirect", True)
    with pytest.raises(GatewayUnavailable):
        gw.exchange_oauth_code("code")   # requests.TooManyRedirects
    with pytest.raises((GatewayUnavailable, BadReply)):
        make_gateway(WECHATPAY_SNS_BASE="http://[::1/").exchange_oauth_code("code")


LONG_PROLOG = b'<?xml version="1.0"?><!--' + b"x" * 5000 + b"-->"


@pytest.mark.parametrize("doctype", [
    b'<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE xml [<!ENTITY x "SUCCESS">]>',
])
def test_a_dtd_anywhere_in_the_prolog_is_a_bad_reply(gateway, doctype) -> None:
    body = (LONG_PROLOG + doctype
            + b"<xml><return_code>SUCCESS</return_code><req_info>&x;</req_info></xml>")
    with pytest.raises(BadReply):
        gateway.parse_payment_notify(body)
    with pytest.raises(BadReply):
        gateway.parse_refund_notify(body)


def test_dtd_text_inside_a_field_is_not_mistaken_for_a_dtd(gateway) -> None:
    fields = {"appid": APPID, "mch_id": MCH_ID, "nonce_str": "n", "result_code": "SUCCESS",
              "return_code": "SUCCESS", "out_trade_no": "X1234567",
              "transaction_id": "4200" + "1" * 24, "total_fee": "1", "openid": "o",
              "trade_type": "NATIVE", "attach": "<!DOCTYPE x> <!ENTITY y>"}
    body = to_xml({**fields, "sign": sign(fields, API_KEY)}).encode()
    assert gateway.parse_payment_notify(body).attach == "<!DOCTYPE x> <!ENTITY y>"


# -- refund paging --------------------------------------------------------------------

def test_query_refunds_pages_through_more_than_ten(gateway, sandbox_server) -> None:
    from app.payments.gateway import RefundRequest
    from tests.payments.test_gateway_contract import paid_order

    _, tid = paid_order(gateway, sandbox_server)
    for n in range(12):
        gateway.refund(RefundRequest(f"RF-{n:02d}", 25900, 100, transaction_id=tid))
    first = gateway.query_refunds(out_trade_no="KJ-ORDER-0001")
    assert [r.out_refund_no for r in first.refunds] == [f"RF-{n:02d}" for n in range(10)]
    assert first.total_refund_count == 12
    rest = gateway.query_refunds(transaction_id=tid, offset=10)
    assert [r.out_refund_no for r in rest.refunds] == ["RF-10", "RF-11"]
    assert rest.total_refund_count == 12
    with pytest.raises(ValueError):
        gateway.query_refunds(out_trade_no="KJ-ORDER-0001", offset=-1)


# -- expiry ----------------------------------------------------------------------------

def test_prepay_needs_an_aware_expiry(gateway, sandbox_server) -> None:
    from datetime import datetime, timedelta

    with pytest.raises(ValueError, match="aware"):
        gateway.prepay(PrepayRequest("KJ-EXP-0001", "x", 100, TradeType.NATIVE, "203.0.113.9",
                                     expires_at=datetime.now() + timedelta(hours=1)))
    assert sandbox_server.sandbox.store.one("SELECT * FROM orders") is None


def test_prepay_expiring_too_soon_is_rejected_by_wechat(gateway, sandbox_server) -> None:
    from datetime import datetime, timedelta, timezone

    from app.payments.gateway import GatewayRejected

    with pytest.raises(GatewayRejected) as err:
        gateway.prepay(PrepayRequest("KJ-EXP-0002", "x", 100, TradeType.NATIVE, "203.0.113.9",
                                     expires_at=datetime.now(timezone.utc)
                                     + timedelta(minutes=2)))
    assert err.value.code == "PARAM_ERROR" and "time_expire时间过短" in err.value.message
