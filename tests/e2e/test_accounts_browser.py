"""A new buyer in real Chromium: sign up, sign out, sign in, switch language."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.factories import valid_credit_code


def test_sign_up_log_in_and_switch_language(page: Page, live_server):
    page.goto(live_server.url + "/signup")
    expect(page.locator("h1")).to_have_text("注册公司账户")
    page.get_by_label("公司名称").fill("苏州环球采购有限公司")
    page.get_by_label("统一社会信用代码").fill(valid_credit_code(8_100_001))
    page.get_by_label("手机号").fill("13812345678")
    page.get_by_label("您的姓名").fill("吴经理")
    page.get_by_label("邮箱").fill("wu@example.test")
    page.get_by_label("密码").fill("wu-secret-password")
    page.get_by_role("button", name="创建账户").click()
    expect(page.locator("h1")).to_have_text("欢迎，吴经理")

    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_text("您已退出登录。")).to_be_visible()

    page.get_by_label("邮箱").fill("wu@example.test")
    page.get_by_label("密码").fill("wrong-password-here")
    page.get_by_role("button", name="登录").last.click()
    expect(page.get_by_text("邮箱或密码不正确。")).to_be_visible()
    page.get_by_label("密码").fill("wu-secret-password")
    page.get_by_role("button", name="登录").last.click()
    expect(page.locator("h1")).to_have_text("欢迎，吴经理")

    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Welcome, 吴经理")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(live_server.url + "/account")
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()


def test_members_page_invites_with_htmx_at_phone_width(page: Page, live_server):
    owner = live_server.commit(lambda f: f.user(role="owner", name="郑老板"))
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + "/login")
    page.get_by_label("邮箱").fill(owner.email)
    page.get_by_label("密码").fill("correct-horse-battery")
    page.get_by_role("button", name="登录").last.click()
    page.get_by_role("button", name="菜单").click()
    page.get_by_role("navigation").get_by_role("link", name="成员").click()
    page.get_by_label("邮箱").fill("new.buyer@example.test")
    page.evaluate("window.__notReloaded = true")
    page.get_by_role("button", name="生成邀请").click()
    link = page.locator("#invite-link")
    expect(link).to_have_value(re.compile(r"/invite/"))
    # The region was swapped in place: a reload would have cleared the marker.
    assert page.evaluate("window.__notReloaded === true")
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than a phone screen"
