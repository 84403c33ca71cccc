"""In real Chromium: the comparison and the calculator update in place as the buyer types."""
from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import Page, expect

from tests.catalog.conftest import CatalogBuilder


def scenario_ids(session) -> dict:
    s = CatalogBuilder(session).comparison_scenario()
    return {"product": s["product"].id, **{k: v.id for k, v in s["offers"].items()}}


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill("correct-horse-battery")
    page.get_by_role("button", name="登录").last.click()
    expect(page.locator("h1")).to_contain_text("欢迎")


def buyer_at(page: Page, live_server, viewport: dict, build):
    """A new buyer signed in at `viewport`; returns what `build(session)` committed."""
    buyer = live_server.commit(lambda f: f.user(role="buyer"))
    data = live_server.commit(lambda f: build(f.session))
    page.set_viewport_size(viewport)
    sign_in(page, live_server.url, buyer.email)
    return data


def test_changing_quantity_updates_table_and_recommendation(page: Page, live_server):
    buyer = live_server.commit(lambda f: f.user(role="buyer", name="钱采购"))
    ids = live_server.commit(lambda f: scenario_ids(f.session))
    sign_in(page, live_server.url, buyer.email)
    page.get_by_role("navigation").get_by_role("link", name="商品目录").click()
    page.get_by_label("名称（中文或英文）").fill("面霜")
    page.get_by_role("link", name="雪花秀保湿面霜").click()
    page.get_by_role("link", name="按我的数量比价").click()

    recommendation = page.locator("#recommendation")
    expect(recommendation.locator("h2")).to_contain_text("东京优品 Tokyo")
    expect(recommendation).to_contain_text("每件比价格次低的报价（巴黎 Paris）便宜 ¥5.66")
    expect(page.locator(f'tr[data-offer="{ids["tokyo"]}"]')).to_have_class(re.compile("recommended"))
    expect(page.locator(f'tr[data-offer="{ids["paris"]}"]')).not_to_have_class(re.compile("cannot"))

    page.get_by_label("数量").fill("10")
    expect(recommendation.locator("h2")).to_contain_text("纽约 New York")
    expect(recommendation).to_contain_text("每件比价格次低的报价（东京优品 Tokyo）便宜 ¥27.07")
    expect(page.locator(f'tr[data-offer="{ids["ny"]}"] [data-col="total"]')).to_have_text("¥344.57")
    paris = page.locator(f'tr[data-offer="{ids["paris"]}"]')
    expect(paris).to_have_class(re.compile("cannot"))
    expect(paris).to_contain_text("库存仅 3 件。")
    # swapped in place: one navigation, and the address bar remembers the need
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    expect(page).to_have_url(re.compile(r"quantity=10"))

    page.get_by_role("link", name=re.compile("交货期")).click()
    first = page.locator("#compare tbody tr").first
    expect(first).to_have_attribute("data-offer", str(ids["tokyo"]))
    # the chosen sort survives the next change of need: at 12 units Seoul (3 days) can serve
    page.get_by_label("数量").fill("12")
    expect(first).to_have_attribute("data-offer", str(ids["seoul"]))
    expect(page.locator(f'tr[data-offer="{ids["seoul"]}"]')).not_to_have_class(re.compile("cannot"))


def test_compare_page_fits_a_phone(page: Page, live_server):
    buyer = live_server.commit(lambda f: f.user(role="buyer"))
    ids = live_server.commit(lambda f: scenario_ids(f.session))
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, live_server.url, buyer.email)
    page.goto(f"{live_server.url}/catalog/products/{ids['product']}/compare?quantity=10")
    expect(page.locator("#recommendation h2")).to_contain_text("纽约 New York")
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than a phone screen"


def test_calculator_updates_breakdown_as_fields_change(page: Page, live_server):
    page.goto(live_server.url + "/landed-cost")
    page.get_by_label("单价").fill("12.50")
    page.get_by_label("汇率（1 单位外币兑人民币）").fill("7.1234")
    page.get_by_label("整单运费").fill("8.00")
    page.get_by_label("消费税率").fill("15")  # percent, as the lists show rates
    page.get_by_label("数量").fill("3")
    expect(page.locator('[data-line="landed"]')).to_have_text("¥398.85")
    page.get_by_label("数量").fill("0")
    expect(page.locator("#breakdown .error")).to_contain_text("数量")
    page.get_by_label("数量").fill("6")
    expect(page.locator('[data-line="goods"]')).to_contain_text("6 × US$12.50")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1


def test_choosing_a_tax_category_shows_the_rates_it_applies(page: Page, live_server):
    live_server.commit(lambda f: CatalogBuilder(f.session).tax_category(
        code="cosmetics_premium", name_zh="高档化妆品", name_en="Premium cosmetics",
        consumption_rate=Decimal("0.15"), tariff_rate=Decimal("0.05")))
    page.goto(live_server.url + "/landed-cost")
    page.get_by_label("单价").fill("100")
    page.get_by_label("币种").select_option("CNY")
    consumption = page.get_by_label("消费税率")
    expect(consumption).to_have_value("0")
    page.get_by_label("税目").select_option(label="高档化妆品")
    expect(consumption).to_have_value("15")
    expect(consumption).not_to_be_editable()
    expect(page.locator("#breakdown .rates-applied")).to_contain_text("消费税 15%")
    page.get_by_label("税目").select_option(label="手动填写税率")
    expect(consumption).to_be_editable()
