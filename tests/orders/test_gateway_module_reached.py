"""The payments modules imported after their package (callbacks, OAuth, refunds) must reach the
gateway module: were the package to export a gateway() function under the module's name, a
module that imports `gateway` from the package would get the function and fail on the
first notify, the first OAuth return or the first refund."""
from __future__ import annotations

import inspect
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app.orders import services
from app.orders.models import OrderState
from app.payments import TradeType, prepay
from sandbox.wechatpay.protocol import nonce, sign, to_xml
from tests.sandbox_fixtures import API_KEY


@pytest.mark.parametrize("name", ["services", "callbacks", "oauth", "refunds"])
def test_each_module_holds_the_gateway_module(app, name):
    import importlib

    module = importlib.import_module(f"app.payments.{name}")
    assert inspect.ismodule(module.gw) and module.gw.__name__ == "app.payments.gateway"


def test_a_payment_notify_is_answered_success_and_pays_the_order(client, db_session, shop, buyer, wechat):
    order = services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 1)])
    attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
    db_session.flush()
    wechat.control("POST", "_sandbox/pay", json={"code_url": attempt.code_url})
    fields = {**wechat.notifies()[0]["fields"], "nonce_str": nonce()}
    fields["sign"] = sign(fields, API_KEY)
    response = client.post("/payments/wechatpay/notify", data=to_xml(fields).encode(), csrf=False,
                           content_type="text/xml")
    assert response.status_code == 200 and "<return_code><![CDATA[SUCCESS]]>" in response.get_data(as_text=True)
    db_session.refresh(order)
    assert order.state == OrderState.PAID


def test_the_oauth_return_loaded_twice_keeps_the_openid(client, db_session, buyer, login, wechat):
    login(client, buyer)
    start = client.get("/payments/wechat/oauth?next=/orders")
    assert start.status_code == 302
    back = requests.get(start.headers["Location"], allow_redirects=False, timeout=10).headers["Location"]
    return_path = urlsplit(back).path + "?" + urlsplit(back).query
    assert parse_qs(urlsplit(back).query)["code"]
    first = client.get(return_path)
    assert first.status_code == 303 and first.headers["Location"] == "/orders"
    db_session.refresh(buyer)
    assert buyer.wechat_openid == wechat.openid("alice")
    second = client.get(return_path)  # WeChat refuses the used code (40163)
    assert second.status_code == 303 and second.headers["Location"] == "/orders"
