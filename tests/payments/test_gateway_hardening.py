"""The adapter's input checks and exception tree, against the simulator or a fake WeChat."""
from __future__ import annotations

import pytest

from app.payments.gateway import GatewayUnavailable, PrepayRequest, TradeType
from sandbox.wechatpay import views_api


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
