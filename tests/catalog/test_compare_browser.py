"""In real Chromium, on a phone (390 px) and a desktop: the comparison says the retail limit in
words, does not dress "nothing can serve" as a success, puts the recommendation first,
folds the need form, keeps each offer's card compact and sorts with a select or a column."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.catalog.conftest import CatalogBuilder
from tests.catalog.test_catalog_browser import buyer_at

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def five_offers(session) -> dict:
    """Five CNY offers: the cheapest is slow, the fastest is dear; one is a luxury that goes
    over the per-order retail limit at two units."""
    b = CatalogBuilder(session)
    product = b.product(name_zh="五家比价面霜", name_en="Five-way cream")
    offers = {}
    for key, price, lead, stock in (("cheap", 10_000, 20, 500), ("fast", 14_000, 2, 500), ("mid", 12_000, 8, 500),
                                    ("small", 11_000, 6, 1), ("luxury", 300_000, 5, 50)):
        supplier = b.supplier(name=f"{key} 供应商", currency="CNY", on_time_rate=Decimal("0.95"))
        offers[key] = b.offer(product, supplier, unit_price_minor=price, lead_time_days=lead, stock=stock).id
    return {"product": product.id, **offers}


def box(page: Page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found, f"{selector} is not shown"
    return found


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_retail_limit_is_said_in_words_next_to_the_total(page: Page, live_server, viewport):
    ids = buyer_at(page, live_server, viewport, five_offers)
    page.goto(f"{live_server.url}/catalog/products/{ids['product']}/compare?quantity=2")
    total = page.locator(f'tr[data-offer="{ids["luxury"]}"] [data-col="total"]')
    words = total.locator(".limit-note")
    expect(words).to_be_visible()
    expect(words).to_contain_text("超过单笔 ¥5,000.00 跨境零售限额")
    expect(words).to_contain_text("按一般贸易计税")
    assert words.bounding_box()["height"] >= 12  # words a person reads, not a hover-only mark
    expect(page.locator(f'tr[data-offer="{ids["cheap"]}"] .limit-note')).to_have_count(0)


def test_no_offer_can_serve_is_not_dressed_as_a_success(page: Page, live_server):
    ids = buyer_at(page, live_server, DESKTOP, five_offers)
    page.goto(f"{live_server.url}/catalog/products/{ids['product']}/compare?quantity=1")
    found = page.locator("#recommendation")
    success = found.evaluate("e => getComputedStyle(e).borderTopColor")
    page.goto(f"{live_server.url}/catalog/products/{ids['product']}/compare?quantity=1&regime=general")
    expect(found.locator("h2")).to_contain_text("没有报价能满足")
    expect(found).to_have_class(re.compile(r"\bnone\b"))
    assert found.evaluate("e => getComputedStyle(e).borderTopColor") != success


def test_phone_comparison_recommendation_first_need_folded_cards_compact(page: Page, live_server):
    ids = buyer_at(page, live_server, PHONE, five_offers)
    page.goto(f"{live_server.url}/catalog/products/{ids['product']}/compare?quantity=1")

    rec, form, table = box(page, "#recommendation"), box(page, "#need-form"), box(page, "#compare table")
    assert rec["y"] < form["y"] < table["y"], (rec, form, table)
    assert rec["y"] < PHONE["height"] / 2  # the answer is on the first screen
    expect(page.get_by_label("数量")).to_be_visible()  # the quantity stays at hand
    expect(page.locator("#w_cost")).to_be_hidden()  # the rest of the need is folded
    assert form["height"] <= 200, form

    cards = page.locator("#compare tbody tr[data-offer]")
    expect(cards).to_have_count(5)
    tops = [cards.nth(i).bounding_box() for i in range(5)]
    heights = [b["height"] for b in tops]
    assert max(heights) <= 230, heights  # an offer's figures and its Buy now in a few lines, not eleven
    assert tops[4]["y"] + tops[4]["height"] - tops[0]["y"] <= 1250
    assert page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 0

    # the fold opens for the rest of the need, and a changed need updates the answer in place
    page.get_by_text("更多条件").click()
    expect(page.locator("#w_cost")).to_be_visible()
    page.get_by_label("数量").fill("2")
    expect(page.locator("#compare caption")).to_contain_text("2 件")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1

    # a select sorts the cards on a phone, where column headers are not shown
    page.get_by_label("排序").select_option(label="交货期最短")
    expect(cards.first).to_have_attribute("data-offer", str(ids["fast"]))
    expect(page).to_have_url(re.compile(r"sort=lead"))


def test_desktop_comparison_sorts_by_select_or_column(page: Page, live_server):
    ids = buyer_at(page, live_server, DESKTOP, five_offers)
    page.goto(f"{live_server.url}/catalog/products/{ids['product']}/compare?quantity=1")
    rows = page.locator("#compare tbody tr[data-offer]")
    header = page.locator("#compare thead th").nth(3)
    assert header.bounding_box()["height"] < 50  # 到岸总成本 on one line (two would be 64)
    page.get_by_label("排序").select_option(label="到岸单价最低")
    expect(rows.first).to_have_attribute("data-offer", str(ids["cheap"]))
    page.get_by_role("link", name=re.compile("交货期")).click()
    expect(rows.first).to_have_attribute("data-offer", str(ids["fast"]))
    expect(page.get_by_label("排序")).to_have_value("lead")
    # the breakdown opens under its row
    page.locator(f'tr[data-offer="{ids["cheap"]}"] + tr summary').click()
    expect(page.locator(f'tr[data-offer="{ids["cheap"]}"] + tr [data-line="landed"]')).to_be_visible()
