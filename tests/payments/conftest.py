"""Contract-test fixtures: the real adapter (real wechatpy over HTTP) against the simulator."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from app.payments.wechatpay import WeChatPayGateway, gateway_from_config
from tests.sandbox_fixtures import API_KEY, APP_SECRET, APPID, MCH_ID, merchant, sandbox_server  # noqa: F401


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One throwaway client certificate for the whole run: RSA key generation is slow-ish.
    return tmp_path_factory.mktemp("instance")


@pytest.fixture
def gateway_config(sandbox_server, merchant, instance_dir) -> dict[str, Any]:  # noqa: F811
    return {
        "WECHATPAY_APPID": APPID, "WECHATPAY_MCH_ID": MCH_ID, "WECHATPAY_API_KEY": API_KEY,
        "WECHATPAY_APP_SECRET": APP_SECRET, "WECHATPAY_API_BASE": sandbox_server.url,
        "WECHATPAY_OAUTH_BASE": sandbox_server.url, "WECHATPAY_SNS_BASE": sandbox_server.url,
        "WECHATPAY_NOTIFY_URL": merchant.url, "WECHATPAY_REFUND_NOTIFY_URL": merchant.url,
        "WECHATPAY_TIMEOUT": "5", "INSTANCE_PATH": str(instance_dir),
    }


@pytest.fixture
def gateway(gateway_config) -> WeChatPayGateway:
    return gateway_from_config(gateway_config)


@pytest.fixture
def make_gateway(gateway_config) -> Callable[..., WeChatPayGateway]:
    """Build a gateway with some settings changed (wrong key, short timeout, …)."""
    def build(**changes: Any) -> WeChatPayGateway:
        return gateway_from_config({**gateway_config, **changes})
    return build
