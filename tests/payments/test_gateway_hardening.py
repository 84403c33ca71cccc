"""The adapter's input checks and exception tree, against the simulator or a fake WeChat."""
from __future__ import annotations

import pytest

from app.payments.gateway import GatewayUnavailable
from sandbox.wechatpay import views_api


def test_simulator_crash_reaches_the_adapter_as_unavailable(gateway, sandbox_server,
                                                            monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("parser broke")

    monkeypatch.setattr(views_api, "parse_xml", boom)
    with pytest.raises(GatewayUnavailable) as err:
        gateway.query_order(out_trade_no="KJ-ANY-0001")
    assert err.value.code == "SYSTEMERROR"
