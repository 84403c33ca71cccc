"""The payer side in real Chromium: the WeixinJSBridge stand-in and the phone-width dashboard."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest
from playwright.sync_api import expect

from sandbox.wechatpay.protocol import sign
from tests.sandbox_fixtures import API_KEY, APPID

@pytest.fixture
def portal_page() -> Iterator[dict]:
    """Another origin serving whatever HTML the test puts in holder['html'] (the portal)."""
    holder: dict = {"html": ""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = holder["html"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    holder["url"] = f"http://127.0.0.1:{server.server_port}/"
    yield holder
    server.shutdown()
    server.server_close()


def _jsapi_page(sandbox_server, out_trade_no: str, lang: str = "") -> str:
    prepay = sandbox_server.call("pay/unifiedorder", {
        "body": "浏览器 Browser", "out_trade_no": out_trade_no, "total_fee": "4321",
        "spbill_create_ip": "127.0.0.1", "notify_url": "http://127.0.0.1:9/n",
        "trade_type": "JSAPI", "openid": sandbox_server.openid()})
    params = {"appId": APPID, "timeStamp": str(int(time.time())), "nonceStr": "abc123",
              "package": f"prepay_id={prepay['prepay_id']}", "signType": "MD5"}
    params["paySign"] = sign(params, API_KEY)
    # The way WeChat's docs have pages wait for the bridge.
    html = f'<html lang="{lang}">' if lang else "<html>"
    return f"""<!doctype html>{html}<script src="{sandbox_server.url}_sandbox/jsbridge.js"></script>
<p id="out">waiting</p><script>
document.addEventListener('WeixinJSBridgeReady', function () {{
  WeixinJSBridge.invoke('getBrandWCPayRequest', {json.dumps(params)}, function (res) {{
    document.getElementById('out').textContent = res.err_msg; }});
}});</script>"""


def _result(page) -> str:
    page.wait_for_function("document.getElementById('out').textContent.startsWith('get_brand')")
    return page.text_content("#out") or ""


def test_jsbridge_pays_from_another_origin(browser, portal_page, sandbox_server) -> None:
    portal_page["html"] = _jsapi_page(sandbox_server, "BROWSER_PAY_1")
    page = browser.new_page(viewport={"width": 375, "height": 740})
    page.goto(portal_page["url"])
    dialog = page.get_by_role("dialog", name="微信支付")
    assert "43.21" in dialog.inner_text()
    dialog.get_by_role("button", name="支付", exact=True).click()
    assert _result(page) == "get_brand_wcpay_request:ok"
    assert sandbox_server.call("pay/orderquery", {"out_trade_no": "BROWSER_PAY_1"})[
        "trade_state"] == "SUCCESS"
    page.close()


def test_jsbridge_cancel_leaves_the_order_unpaid(browser, portal_page, sandbox_server) -> None:
    # An English portal page gets an English cashier.
    portal_page["html"] = _jsapi_page(sandbox_server, "BROWSER_CANCEL_1", lang="en")
    page = browser.new_page()
    page.goto(portal_page["url"])
    dialog = page.get_by_role("dialog", name="WeChat Pay")
    expect(dialog.get_by_role("button")).to_have_text(["Pay", "Fail", "Cancel"])
    dialog.get_by_role("button", name="Cancel").click()
    assert _result(page) == "get_brand_wcpay_request:cancel"
    assert sandbox_server.call("pay/orderquery", {"out_trade_no": "BROWSER_CANCEL_1"})[
        "trade_state"] == "NOTPAY"
    page.close()


def test_dashboard_pay_button_at_phone_width(browser, sandbox_server) -> None:
    sandbox_server.call("pay/unifiedorder", {
        "body": "手机宽度 phone width", "out_trade_no": "PHONE_1", "total_fee": "100",
        "spbill_create_ip": "127.0.0.1", "notify_url": "http://127.0.0.1:9/n",
        "trade_type": "NATIVE", "product_id": "P"})
    page = browser.new_page(viewport={"width": 360, "height": 720})
    page.goto(sandbox_server.url + "_sandbox/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="支付", exact=True).click()
    assert "PHONE_1: SUCCESS" in page.get_by_role("status").inner_text()
    assert sandbox_server.call("pay/orderquery", {"out_trade_no": "PHONE_1"})[
        "trade_state"] == "SUCCESS"
    page.close()


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [360, 1280])
def test_pages_switch_to_english_and_stay_there(browser, sandbox_server, width) -> None:
    prepay = sandbox_server.call("pay/unifiedorder", {
        "body": "双语 bilingual", "out_trade_no": "LANG_1", "total_fee": "250",
        "spbill_create_ip": "127.0.0.1", "notify_url": "http://127.0.0.1:9/n",
        "trade_type": "NATIVE", "product_id": "P"})
    # Chinese by default, even for a browser that asks for English first.
    context = browser.new_context(viewport={"width": width, "height": 760}, locale="en-US")
    page = context.new_page()
    html = page.locator("html")
    page.goto(sandbox_server.url + "_sandbox/")
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="订单 (1)")).to_be_visible()
    _fits(page, width)

    page.get_by_role("navigation", name="语言").get_by_role("link", name="English").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Orders (1)")).to_be_visible()
    expect(page.get_by_role("link", name="English")).to_have_attribute("aria-current", "true")
    _fits(page, width)

    page.goto(sandbox_server.url + "_sandbox/scan?code_url=" + prepay["code_url"])
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_title("WeChat Pay")
    _fits(page, width)
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_role("heading", name="Paid")).to_be_visible()
    expect(page.locator("main")).to_contain_text("LANG_1 · ¥2.50")
    _fits(page, width)

    page.get_by_role("link", name="中文").click()
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="订单 (1)")).to_be_visible()
    assert sandbox_server.call("pay/orderquery", {"out_trade_no": "LANG_1"})[
        "trade_state"] == "SUCCESS"
    context.close()
