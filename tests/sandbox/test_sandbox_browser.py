"""The payer side in real Chromium: the WeixinJSBridge stand-in and the phone-width dashboard."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

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


def _jsapi_page(sandbox_server, out_trade_no: str) -> str:
    prepay = sandbox_server.call("pay/unifiedorder", {
        "body": "浏览器 Browser", "out_trade_no": out_trade_no, "total_fee": "4321",
        "spbill_create_ip": "127.0.0.1", "notify_url": "http://127.0.0.1:9/n",
        "trade_type": "JSAPI", "openid": sandbox_server.openid()})
    params = {"appId": APPID, "timeStamp": str(int(time.time())), "nonceStr": "abc123",
              "package": f"prepay_id={prepay['prepay_id']}", "signType": "MD5"}
    params["paySign"] = sign(params, API_KEY)
    # The way WeChat's docs have pages wait for the bridge.
    return f"""<!doctype html><script src="{sandbox_server.url}_sandbox/jsbridge.js"></script>
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
    dialog = page.get_by_role("dialog")
    assert "43.21" in dialog.inner_text()
    dialog.get_by_role("button", name="支付 Pay").click()
    assert _result(page) == "get_brand_wcpay_request:ok"
    assert sandbox_server.call("pay/orderquery", {"out_trade_no": "BROWSER_PAY_1"})[
        "trade_state"] == "SUCCESS"
    page.close()


def test_jsbridge_cancel_leaves_the_order_unpaid(browser, portal_page, sandbox_server) -> None:
    portal_page["html"] = _jsapi_page(sandbox_server, "BROWSER_CANCEL_1")
    page = browser.new_page()
    page.goto(portal_page["url"])
    page.get_by_role("button", name="取消 Cancel").click()
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
    page.get_by_role("button", name="支付 Pay").click()
    assert "PHONE_1: SUCCESS" in page.get_by_role("status").inner_text()
    assert sandbox_server.call("pay/orderquery", {"out_trade_no": "PHONE_1"})[
        "trade_state"] == "SUCCESS"
    page.close()
