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
