"""The payment page: the way to pay follows the browser, our own status decides, the rules are
said before paying, and development helpers never reach production pages."""
from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.orders import services
from app.orders.models import OrderState
from app.payments import payments_of
from app.payments import services as pay
from app.payments.models import Attempt
from tests.catalog.conftest import CatalogBuilder
from tests.orders.conftest import make_consignee

DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Mobile/15E148 Safari/604.1")
WECHAT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
          "Mobile Safari/537.36 MicroMessenger/8.0.49.2600(0x28003133) NetType/WIFI Language/zh_CN")


def order_of(user, offer, quantity=1):
    return services.create(user, user.company_id, [(offer.id, quantity)])


def prepay(client, order, agent=DESKTOP, htmx=True, ip="203.0.113.7"):
    headers = {"User-Agent": agent, **({"HX-Request": "true"} if htmx else {})}
    return client.post(f"/orders/{order.id}/prepay", headers=headers, environ_base={"REMOTE_ADDR": ip})


@pytest.fixture
def signed_in(client, buyer, login):
    login(client, buyer)
    return client


def test_a_desktop_browser_gets_a_qr_code_and_in_development_the_scan_page(signed_in, db_session, shop, buyer,
                                                                          wechat):
    order = order_of(buyer, shop.cny_offer, 2)
    page = signed_in.get(f"/orders/{order.id}/pay", headers={"User-Agent": DESKTOP}).get_data(as_text=True)
    assert "¥218.20" in page and f'hx-post="/orders/{order.id}/prepay"' in page and 'hx-trigger="load"' in page
    assert "jsbridge.js" not in page and 'data-seconds-left="' in page
    fragment = prepay(signed_in, order).get_data(as_text=True)
    assert "<html" not in fragment and '<svg role="img"' in fragment
    attempt = db_session.scalar(select(Attempt))
    assert attempt.trade_type.value == "NATIVE" and attempt.client_ip == "203.0.113.7"
    scan = unescape(re.search(r'href="([^"]+)"[^>]*data-sandbox-scan', fragment).group(1))
    assert scan.startswith(wechat.url + "_sandbox/scan?") and parse_qs(urlsplit(scan).query)["code_url"] == [attempt.code_url]
    # Loaded again (a reload, a second tab): the same QR code, no second prepay.
    prepay(signed_in, order)
    assert len(db_session.scalars(select(Attempt)).all()) == 1
    # Without JavaScript the button posts a plain form and gets the whole page back.
    plain = prepay(signed_in, order, htmx=False).get_data(as_text=True)
    assert "<html" in plain and '<svg role="img"' in plain


def test_in_wechat_the_openid_comes_first(signed_in, db_session, shop, buyer, wechat):
    order = order_of(buyer, shop.cny_offer)
    response = signed_in.get(f"/orders/{order.id}/pay", headers={"User-Agent": WECHAT})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/payments/wechat/oauth?next=/orders/{order.id}/pay"
    assert prepay(signed_in, order, WECHAT).headers["HX-Redirect"].startswith("/payments/wechat/oauth?next=")


def test_in_wechat_the_page_pays_through_the_bridge_with_signed_parameters(signed_in, db_session, shop, buyer,
                                                                          wechat):
    buyer.wechat_openid = wechat.openid("alice")
    db_session.flush()
    order = order_of(buyer, shop.usd_offer)
    response = signed_in.get(f"/orders/{order.id}/pay", headers={"User-Agent": WECHAT})
    page = response.get_data(as_text=True)
    origin = wechat.url.rstrip("/")
    assert f'<script src="{origin}/_sandbox/jsbridge.js" defer></script>' in page
    csp = dict(part.split(" ", 1) for part in response.headers["Content-Security-Policy"].split("; "))
    assert origin in csp["script-src"] and origin in csp["connect-src"] and "unsafe-inline" not in csp["script-src"]
    fragment = prepay(signed_in, order, WECHAT).get_data(as_text=True)
    params = json.loads(unescape(re.search(r'data-jsapi="([^"]+)"', fragment).group(1)))
    attempt = db_session.scalar(select(Attempt))
    assert attempt.trade_type.value == "JSAPI" and attempt.openid == buyer.wechat_openid
    assert params["package"] == f"prepay_id={attempt.prepay_id}"
    assert isinstance(params["timeStamp"], str) and params["timeStamp"].isdigit() and params["signType"] == "MD5"
    checked = wechat.control("POST", "_sandbox/jsapi/verify", data=json.dumps(params)).json()
    assert checked["ok"] is True, checked
    # Other pages keep the strict policy.
    assert origin not in signed_in.get("/orders").headers["Content-Security-Policy"]


def test_other_phone_browsers_go_to_wechats_h5_cashier_and_come_back_to_checking(signed_in, db_session, shop,
                                                                                buyer, wechat):
    order = order_of(buyer, shop.cny_offer)
    fragment = prepay(signed_in, order, IPHONE, ip="198.51.100.23").get_data(as_text=True)
    link = unescape(re.search(r'<a class="button primary pay-button" href="([^"]+)"', fragment).group(1))
    attempt = db_session.scalar(select(Attempt))
    assert attempt.trade_type.value == "MWEB" and attempt.client_ip == "198.51.100.23"
    assert link.startswith(attempt.mweb_url + "&redirect_url=")
    assert parse_qs(urlsplit(link).query)["redirect_url"] == [f"http://127.0.0.1:5000/orders/{order.id}/pay/return"]
    back = signed_in.get(f"/orders/{order.id}/pay/return").get_data(as_text=True)
    assert "正在确认支付结果" in back and f'hx-get="/orders/{order.id}/status"' in back
    assert 'data-state="waiting"' in back  # coming back is not paying


def test_the_status_is_ours_and_once_paid_the_page_moves_on(signed_in, db_session, shop, buyer, wechat):
    order = order_of(buyer, shop.cny_offer)
    prepay(signed_in, order)
    attempt = db_session.scalar(select(Attempt))
    waiting = signed_in.get(f"/orders/{order.id}/status", headers={"HX-Request": "true"})
    assert waiting.status_code == 200 and 'hx-trigger="every 1s"' in waiting.get_data(as_text=True)
    assert waiting.headers["Cache-Control"] == "no-store"
    assert signed_in.get(f"/orders/{order.id}/status").headers["Location"] == f"/orders/{order.id}/pay"
    wechat.control("POST", "_sandbox/pay", json={"code_url": attempt.code_url})
    pay.query(attempt, "poll")
    paid = signed_in.get(f"/orders/{order.id}/status", headers={"HX-Request": "true"})
    assert paid.status_code == 204 and paid.headers["HX-Redirect"] == f"/orders/{order.id}"
    assert signed_in.get(f"/orders/{order.id}/status").headers["Location"] == f"/orders/{order.id}"
    assert signed_in.get(f"/orders/{order.id}/pay").headers["Location"] == f"/orders/{order.id}"
    assert signed_in.get(f"/orders/{order.id}/pay/return").headers["Location"] == f"/orders/{order.id}"
    assert len(payments_of(services.charge_of(order).id)) == 1


def test_a_closed_order_cannot_be_paid_and_says_so(signed_in, db_session, shop, buyer, wechat):
    order = order_of(buyer, shop.cny_offer)
    services.cancel(order, buyer.id)
    db_session.flush()
    db_session.refresh(order)
    assert order.state == OrderState.CLOSED
    page = signed_in.get(f"/orders/{order.id}/pay").get_data(as_text=True)
    assert "此订单已取消" in page and 'id="prepay"' not in page and 'hx-trigger="every 1s"' not in page
    refused = prepay(signed_in, order)
    assert refused.status_code == 409 and "该订单已关闭，无法再付款" in refused.get_data(as_text=True)
    assert db_session.scalar(select(Attempt)) is None


def test_wechat_pay_not_answering_is_said_and_nothing_is_kept(signed_in, db_session, shop, buyer, wechat,
                                                             use_config, app):
    order = order_of(buyer, shop.cny_offer)
    use_config(WECHATPAY_API_BASE="http://127.0.0.1:9/", WECHATPAY_TIMEOUT="1")
    app.extensions.pop("kj_gateway", None)
    response = prepay(signed_in, order)
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "微信支付暂时没有响应" in html and "重试" in html
    assert db_session.scalar(select(Attempt)) is None


def test_production_pages_never_link_to_the_simulator(signed_in, db_session, shop, buyer, wechat, use_config):
    use_config(ENV_NAME="production")
    buyer.wechat_openid = wechat.openid("alice")
    db_session.flush()
    order = order_of(buyer, shop.cny_offer)
    fragment = prepay(signed_in, order).get_data(as_text=True)
    assert '<svg role="img"' in fragment and "_sandbox" not in fragment
    response = signed_in.get(f"/orders/{order.id}/pay", headers={"User-Agent": WECHAT})
    assert "jsbridge.js" not in response.get_data(as_text=True)
    assert wechat.url.rstrip("/") not in response.headers["Content-Security-Policy"]


def test_the_simulator_is_only_what_is_not_wechats_own_host(app, use_config):
    from app.payments import simulator_base

    with app.test_request_context("/"):
        use_config(ENV_NAME="development", WECHATPAY_API_BASE="https://api.mch.weixin.qq.com/")
        assert simulator_base() is None
        use_config(WECHATPAY_API_BASE="http://127.0.0.1:5010/")
        assert simulator_base() == "http://127.0.0.1:5010/"
        use_config(ENV_NAME="production")
        assert simulator_base() is None


# --- what the cross-border rules do, said before paying --------------------------------------

def notice_of(client, order) -> str:
    html = client.get(f"/orders/{order.id}/pay").get_data(as_text=True)
    return re.search(r'<section class="card notice.*?</section>', html, re.S).group()


def test_retail_within_the_limits_says_the_rate_and_the_quota_left(signed_in, shop, buyer):
    notice = notice_of(signed_in, order_of(buyer, shop.cny_offer, 2))
    assert 'data-regime="retail"' in notice and "70%" in notice and "¥18.20" in notice
    assert "王小明今年已购买 ¥200.00（含本订单），每人每年限额 ¥26,000.00，剩余 ¥25,800.00。" in notice


def test_over_five_thousand_an_order_says_how_much_more_tax_general_trade_is(client, login, shop, make_user):
    user = make_user(role="buyer", language="en")
    make_consignee(user)
    login(client, user)
    order = order_of(user, shop.cny_offer, 60)  # ¥6,000
    notice = notice_of(client, order)
    # VAT 13 % in full is ¥780.00; at retail rates (70 %) it would be ¥546.00.
    assert 'data-regime="over_order_limit"' in notice and "taxed as general trade in full" in notice
    assert "tax ¥780.00, which is ¥234.00 more than at retail rates (¥546.00)" in notice
    assert "does not count toward the yearly limit" in notice


def test_a_single_item_over_five_thousand_is_taxed_in_full_and_counts_toward_the_year(client, db_session, login,
                                                                                     shop, make_user):
    catalog = CatalogBuilder(db_session)
    watch = catalog.offer(shop.product, shop.cny_offer.supplier, unit_price_minor=600_000, stock=5)
    catalog.refresh()
    user = make_user(role="buyer", language="en")
    make_consignee(user)
    login(client, user)
    order = order_of(user, watch)
    assert order.regime == "retail" and order.tax_fen == 78_000
    notice = notice_of(client, order)
    assert 'data-regime="single_item"' in notice and "taxed in full at general-trade rates: tax ¥780.00" in notice
    assert "has bought ¥6,000.00 of the ¥26,000.00 a person may buy this year, this order included" in notice


def test_general_trade_offers_say_the_taxes_are_in_full(signed_in, shop, buyer):
    notice = notice_of(signed_in, order_of(buyer, shop.general_offer, 2))
    # $20.00 × 2 at 7.00 = ¥280.00; VAT 13 % in full
    assert 'data-regime="general"' in notice and "一般贸易" in notice and "¥36.40" in notice
    assert "data-quota" not in notice


def test_an_order_past_paying_is_never_called_closed(signed_in, db_session, shop, buyer, wechat, make_user):
    """Shipped, completed or refunded orders were paid: their payment page and status lead
    to the order, never to "the time to pay is over, so it was closed"."""
    from app.orders import aftersale

    order = order_of(buyer, shop.general_offer)
    prepay(signed_in, order)
    attempt = db_session.scalar(select(Attempt))
    wechat.control("POST", "_sandbox/pay", json={"code_url": attempt.code_url})
    pay.query(attempt, "poll")
    ops = make_user(role=None, staff_role="ops")
    aftersale.ship(order, [line.id for line in order.lines], carrier="顺丰", tracking_no="SF200", actor_id=ops.id)
    assert order.state == OrderState.SHIPPED
    assert signed_in.get(f"/orders/{order.id}/pay").headers.get("Location") == f"/orders/{order.id}"
    status = signed_in.get(f"/orders/{order.id}/status", headers={"HX-Request": "true"})
    assert status.headers.get("HX-Redirect") == f"/orders/{order.id}"
    assert signed_in.get(f"/orders/{order.id}/pay/return").headers.get("Location") == f"/orders/{order.id}"
    again = prepay(signed_in, order)
    assert again.headers.get("HX-Redirect") == f"/orders/{order.id}"
    assert len(db_session.scalars(select(Attempt)).all()) == 1, "no prepay for an order that was paid"


def test_without_notify_addresses_wechat_is_sent_the_portals_public_ones(signed_in, db_session, shop, buyer, wechat,
                                                                         use_config, app):
    """`make run` sets no WECHATPAY_NOTIFY_URL: WeChat still learns where to post, from PUBLIC_BASE_URL."""
    from sandbox.wechatpay import orders as sandbox_orders

    use_config(WECHATPAY_NOTIFY_URL=None, WECHATPAY_REFUND_NOTIFY_URL=None, PUBLIC_BASE_URL="https://shop.example.cn/")
    app.extensions.pop("kj_gateway", None)
    order = order_of(buyer, shop.cny_offer)
    response = prepay(signed_in, order)
    assert response.status_code == 200 and '<svg role="img"' in response.get_data(as_text=True)
    attempt = db_session.scalar(select(Attempt))
    at_wechat = sandbox_orders.get_order(wechat.sandbox, out_trade_no=attempt.out_trade_no)
    assert at_wechat["notify_url"] == "https://shop.example.cn/payments/wechatpay/notify"
    assert pay.get_gateway().refund_notify_url == "https://shop.example.cn/payments/wechatpay/refund-notify"
