"""Fixtures for orders and payments: a shop (catalog rows), a buyer with a consignee, and the
portal served over HTTP talking to the WeChat Pay simulator, which delivers its notifies
back to the portal as WeChat would."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from tests.catalog.conftest import CatalogBuilder
from tests.factories import Factories
from tests.sandbox_fixtures import API_KEY, APP_SECRET, APPID, MCH_ID, SandboxServer, merchant, sandbox_server  # noqa: F401

# A valid identity card number (GB 11643 check character) for test consignees.
ID_NUMBER = "11010519491231002X"


def wechat_config(sandbox_url: str, portal_url: str, instance_path: str) -> dict[str, Any]:
    return {"WECHATPAY_APPID": APPID, "WECHATPAY_MCH_ID": MCH_ID, "WECHATPAY_API_KEY": API_KEY,
            "WECHATPAY_APP_SECRET": APP_SECRET, "WECHATPAY_API_BASE": sandbox_url,
            "WECHATPAY_OAUTH_BASE": sandbox_url, "WECHATPAY_SNS_BASE": sandbox_url,
            "WECHATPAY_NOTIFY_URL": portal_url + "/payments/wechatpay/notify",
            "WECHATPAY_REFUND_NOTIFY_URL": portal_url + "/payments/wechatpay/refund-notify",
            "WECHATPAY_TIMEOUT": "5", "INSTANCE_PATH": instance_path}


@dataclass
class Shop:
    """A catalog to buy from: a CNY offer (no FX), a USD one from another supplier."""

    product: Any
    cny_offer: Any
    usd_offer: Any
    general_offer: Any


def build_shop(session: Any) -> Shop:
    catalog = CatalogBuilder(session)
    catalog.fx("USD", "7.00", day=None)
    cat = catalog.tax_category(code=f"cosm_{id(session) % 10_000}", name_zh="化妆品", name_en="Cosmetics",
                               vat_rate=Decimal("0.13"), consumption_rate=Decimal("0"))
    product = catalog.product(name_zh="保湿面霜", name_en="Moisturising cream", tax_category=cat)
    cny = catalog.supplier(name=f"保税仓 Bonded {id(session)}", country="CN", currency="CNY")
    usd = catalog.supplier(name=f"纽约 NY {id(session)}", country="US", currency="USD",
                           commission_rate=Decimal("0.08"))
    shop = Shop(product, catalog.offer(product, cny, unit_price_minor=10_000, stock=1_000),
                catalog.offer(product, usd, unit_price_minor=1_500, shipping_base_minor=500, stock=1_000),
                catalog.offer(product, usd, unit_price_minor=2_000, regime="general", stock=1_000))
    catalog.refresh()
    return shop


@pytest.fixture
def shop(db_session) -> Shop:
    return build_shop(db_session)


def make_consignee(user: Any, *, name: str = "王小明", id_number: str | None = ID_NUMBER) -> Any:
    from app.orders import consignees

    return consignees.save(user, user.company_id, name=name, phone="13800138000",
                           address="广东省深圳市南山区科技园 1 号", id_number=id_number)


@pytest.fixture
def buyer(make_user) -> Any:
    user = make_user(role="owner", phone="+8613811112222", verified_phone="+8613811112222")
    make_consignee(user)
    return user


@pytest.fixture
def wechat(app: Flask, sandbox_server, use_config, tmp_path) -> SandboxServer:  # noqa: F811
    """The test app's gateway talks to the simulator (notifies go nowhere: tests poll)."""
    use_config(**wechat_config(sandbox_server.url, "http://127.0.0.1:9", str(tmp_path)))
    app.extensions.pop("kj_gateway", None)
    yield sandbox_server
    app.extensions.pop("kj_gateway", None)


@dataclass
class Portal:
    """The portal over HTTP with committed data, wired to the simulator both ways."""

    url: str
    app: Flask
    sandbox: SandboxServer

    def commit(self, fn):
        with self.app.app_context():
            result = fn(Factories(db.session), db.session)
            db.session.commit()
            return result


@pytest.fixture
def portal(live_server, tmp_path) -> Iterator[Portal]:
    """live_server talking to a simulator of its own; the simulator posts notifies to it."""
    server = SandboxServer(tmp_path / "sandbox.sqlite3")
    app = live_server.app
    saved = {k: app.config.get(k) for k in wechat_config("", "", "")}
    app.config.update(wechat_config(server.url, live_server.url, str(tmp_path)))
    app.extensions.pop("kj_gateway", None)
    try:
        yield Portal(live_server.url, app, server)
    finally:
        server.stop()
        app.config.update(saved)
        app.extensions.pop("kj_gateway", None)
