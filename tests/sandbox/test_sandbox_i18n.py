"""The simulator's pages in Chinese (the default) and English, chosen by ?lang= and a cookie."""
from __future__ import annotations

import re
import string
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from sandbox.wechatpay.i18n import COOKIE, EN, STRINGS, ZH
from tests.sandbox_fixtures import APPID


def native_order(server, out_trade_no="I18N_1"):
    return server.call("pay/unifiedorder", {
        "body": "语言 language", "out_trade_no": out_trade_no, "total_fee": "1999",
        "spbill_create_ip": "127.0.0.1", "notify_url": "http://127.0.0.1:9/n",
        "trade_type": "NATIVE", "product_id": "P"})


def html_lang(text: str) -> str:
    return re.search(r'<html lang="([^"]+)">', text).group(1)


def test_both_languages_fill_in_the_same_placeholders() -> None:
    for key, zh in STRINGS[ZH].items():
        fields = {name for _, name, _, _ in string.Formatter().parse(zh) if name}
        assert fields == {name for _, name, _, _ in string.Formatter().parse(STRINGS[EN][key])
                          if name}, key


PAGES = {
    # name: (how to load it, what it says in Chinese, what it says in English)
    "dashboard": (lambda s, q: requests.get(s.url + "_sandbox/", params=q),
                  "<h2>订单 (1)</h2>", "<h2>Orders (1)</h2>"),
    "scan": (lambda s, q: requests.get(s.url + "_sandbox/scan", params={
        "code_url": s.sandbox.store.one("SELECT code_url FROM orders")["code_url"], **q}),
             ">支付</button>", ">Pay</button>"),
    "scan, unknown code": (lambda s, q: requests.get(s.url + "_sandbox/scan", params={
        "code_url": "weixin://nope", **q}), "订单不存在", "Order not found"),
    "scan result": (lambda s, q: requests.post(s.url + "_sandbox/scan", params=q, data={
        "code_url": s.sandbox.store.one("SELECT code_url FROM orders")["code_url"],
        "decision": "cancel"}), "已取消支付", "Cancelled"),
    "consent": (lambda s, q: requests.get(s.url + "connect/oauth2/authorize", params={
        "appid": APPID, "redirect_uri": "http://portal.test/cb", "response_type": "code",
        "scope": "snsapi_userinfo", "state": "s", **q}), ">允许</button>", ">Allow</button>"),
    "OAuth error": (lambda s, q: requests.get(s.url + "connect/oauth2/authorize", params={
        "appid": "wx0", **q}), "<h2>授权失败</h2>", "<h2>Authorization error</h2>"),
}


@pytest.mark.parametrize("name", PAGES)
def test_each_page_speaks_chinese_by_default_and_english_when_asked(sandbox_server,
                                                                     name) -> None:
    native_order(sandbox_server)
    load, chinese, english = PAGES[name]
    default = load(sandbox_server, {})
    assert html_lang(default.text) == "zh-CN" and chinese in default.text
    assert english not in default.text and 'name="viewport"' in default.text
    asked = load(sandbox_server, {"lang": "en"})
    assert html_lang(asked.text) == "en" and english in asked.text and chinese not in asked.text
    assert asked.cookies.get(COOKIE) == "en"
    assert default.status_code == asked.status_code < 500


def test_the_choice_is_kept_in_a_cookie_until_switched_back(sandbox_server) -> None:
    native_order(sandbox_server)
    session = requests.Session()
    session.headers["Accept-Language"] = "en-US,en;q=0.9"  # not followed: WeChat is Chinese
    assert html_lang(session.get(sandbox_server.url + "_sandbox/").text) == "zh-CN"
    session.get(sandbox_server.url + "_sandbox/", params={"lang": "en"})
    cancel = session.post(sandbox_server.url + "_sandbox/orders/I18N_1/cancel")
    assert "I18N_1: the payer cancelled; the order stays NOTPAY" in cancel.text
    assert html_lang(cancel.text) == "en"
    ignored = session.get(sandbox_server.url + "_sandbox/", params={"lang": "fr"})
    assert html_lang(ignored.text) == "en" and session.cookies[COOKIE] == "en"
    back = session.get(sandbox_server.url + "_sandbox/", params={"lang": "zh"})
    assert html_lang(back.text) == "zh-CN" and session.cookies[COOKIE] == ZH
    first = session.post(sandbox_server.url + "_sandbox/orders/I18N_1/pay")
    assert "I18N_1: SUCCESS" in first.text
    again = session.post(sandbox_server.url + "_sandbox/orders/I18N_1/pay")
    assert "I18N_1: 订单状态为 SUCCESS（支付成功）" in again.text
    assert '<td data-label="类型">支付</td>' in again.text  # the payment notify's kind
    english = session.get(sandbox_server.url + "_sandbox/", params={"lang": "en"})
    assert '<td data-label="Kind">payment</td>' in english.text


def test_switch_links_keep_the_page_and_its_query(sandbox_server) -> None:
    prepay = native_order(sandbox_server)
    page = requests.get(sandbox_server.url + "_sandbox/scan", params={
        "code_url": prepay["code_url"]})
    [link] = re.findall(r'<a href="([^"]+)" lang="en"', page.text)
    target = urlsplit(link.replace("&amp;", "&"))
    assert target.path == "/_sandbox/scan"
    assert parse_qs(target.query) == {"code_url": [prepay["code_url"]], "lang": ["en"]}
    english = requests.get(sandbox_server.url + link.replace("&amp;", "&").lstrip("/"))
    assert ">Pay</button>" in english.text and "¥19.99" in english.text
