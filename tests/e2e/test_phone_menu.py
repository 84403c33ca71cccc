"""The top bar's menu at phone width: reached and worked from the keyboard, and shown
open when scripts are off."""
from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

PHONE = {"width": 390, "height": 844}


def test_the_phone_menu_opens_and_closes_from_the_keyboard(page: Page, live_server):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    menu = page.get_by_role("button", name="菜单")
    sign_in = page.get_by_role("navigation").get_by_role("link", name="登录")
    expect(sign_in).to_be_hidden()

    page.keyboard.press("Tab")  # the logo
    page.keyboard.press("Tab")
    expect(menu).to_be_focused()
    expect(menu).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(sign_in).to_be_visible()
    page.keyboard.press("Tab")  # into the menu, right after its button
    expect(page.get_by_role("navigation").locator(":focus")).to_have_count(1)

    page.keyboard.press("Escape")
    expect(menu).to_be_focused()
    expect(sign_in).to_be_hidden()
    page.keyboard.press("Space")
    expect(sign_in).to_be_visible()
    page.keyboard.press("Space")
    expect(sign_in).to_be_hidden()


def test_the_menu_is_open_without_scripts(browser: Browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        expect(page.get_by_role("navigation").get_by_role("link", name="登录")).to_be_visible()
        expect(page.get_by_role("button", name="菜单")).to_be_hidden()
    finally:
        context.close()


def test_the_menu_button_is_not_in_the_way_on_a_desktop(page: Page, live_server):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + "/")
    expect(page.get_by_role("button", name="菜单")).to_be_hidden()
    expect(page.get_by_role("navigation").get_by_role("link", name="登录")).to_be_visible()
