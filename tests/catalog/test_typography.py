"""Chinese typography: full-width colons come from the translation, never glued on by a
template; lead times carry their unit; in Chromium, headers, buttons, dates and codes
keep their words whole on a phone and a desktop."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect

from tests.catalog.conftest import CatalogBuilder
from tests.catalog.test_catalog_browser import scenario_ids, sign_in

ROOT = Path(__file__).resolve().parents[2]
CJK_COLON = re.compile(r"[\u3400-\u9fff\uff01-\uff5e）」』”]:(?!//)")


def test_no_template_glues_a_colon_after_a_label():
    """`{{ _("Role") }}: …` puts an ASCII colon after Chinese; the sentence belongs in the
    msgid ("Role: %(role)s"), so that the translation chooses its own punctuation."""
    glued = []
    for path in (ROOT / "templates").rglob("*.html"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\}\}:", line):
                glued.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:90]}")
    assert not glued, "a colon after an expression:\n" + "\n".join(glued)


def test_chinese_translations_use_full_width_colons():
    found = []
    for path in (ROOT / "app").glob("*/translations/zh_Hans_CN/LC_MESSAGES/messages.po"):
        with path.open("rb") as f:
            for m in read_po(f):
                for text in (m.string if isinstance(m.string, tuple) else (m.string,)):
                    # what people are told to type ("名称: 值", "数量:单价") is quoted, and stays
                    prose = re.sub(r"“[^”]*”", "", text or "")
                    if CJK_COLON.search(prose):
                        found.append(f"{path.parts[-5]}: {text}")
    assert not found, "\n".join(found)


def test_ops_lists_give_lead_times_a_unit(ops_client, catalog):
    s = catalog.comparison_scenario()
    offers = ops_client.get("/ops/catalog/offers").get_data(as_text=True)
    assert re.search(r'data-label="Lead time" class="num">4 days</td>', offers)
    assert s["offers"]["tokyo"].lead_time_days == 4
    suppliers = ops_client.get("/ops/catalog/suppliers").get_data(as_text=True)
    assert re.search(r'data-label="Lead time" class="num">3–10 days</td>', suppliers)


def ops_data(session) -> dict:
    ids = scenario_ids(session)
    b = CatalogBuilder(session)
    product = b.product(name_zh="超长规格编码商品", name_en="Long SKU product")
    b.offer(product, b.supplier(currency="CNY"), supplier_sku="JP-SULWHASOO-CREAM-75ML-2026-A", unit_price_minor=1)
    return ids


def text_of(page: Page) -> str:
    return page.locator("main").inner_text()


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}],
                         ids=["phone", "desktop"])
def test_chinese_words_stay_whole(page: Page, live_server, viewport):
    ops = live_server.commit(lambda f: f.user(role=None, staff_role="ops"))
    ids = live_server.commit(lambda f: ops_data(f.session))
    page.set_viewport_size(viewport)
    sign_in(page, live_server.url, ops.email)
    assert not CJK_COLON.search(text_of(page)), text_of(page)  # 角色：…, not 角色: …

    page.goto(f"{live_server.url}/ops/catalog/offers")
    button = page.get_by_role("button", name="筛选")
    expect(button).to_be_visible()
    one_line = button.evaluate("b => b.getClientRects().length === 1 && b.offsetHeight <= 48")
    assert one_line, "筛选 breaks over two lines"
    sku = page.get_by_text("JP-SULWHASOO-CREAM-75ML-2026-A")
    line = float(sku.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert sku.evaluate("e => e.getClientRects().length") == 1
    assert sku.bounding_box()["height"] <= line * 1.5, "the SKU breaks mid-code"
    if viewport["width"] > 720:
        for th in page.locator("#ops-table thead th").all():  # 库存, 交货期, 起订量 on one line
            assert th.bounding_box()["height"] < 50, th.inner_text()

    page.goto(f"{live_server.url}/catalog/products/{ids['product']}/compare?quantity=1")
    assert not CJK_COLON.search(text_of(page))
    for day in page.locator('#compare td[data-col="lead"] small').all():  # 2026年12月5日, 日 not alone
        assert day.evaluate("e => e.getClientRects().length") == 1
        assert day.bounding_box()["height"] < 2 * float(day.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    for url in (f"/catalog/products/{ids['product']}", "/landed-cost?unit_price=10&currency=USD&fx_rate=7",
                "/ops/catalog/suppliers", "/ops/catalog/products"):
        page.goto(live_server.url + url)
        assert not CJK_COLON.search(text_of(page)), url


def test_chart_legend_uses_the_translations_colon(buyer_client, catalog, db_session):
    from app.catalog.models import PricePoint
    from app.catalog.services import today

    s = catalog.comparison_scenario()
    db_session.add(PricePoint(offer_id=s["offers"]["tokyo"].id, day=today(), unit_price_minor=1_000))
    db_session.flush()
    buyer_client.post("/language", data={"language": "zh_CN", "next": "/"})
    html = buyer_client.get(f"/catalog/products/{s['product'].id}").get_data(as_text=True)
    assert "东京优品 Tokyo：¥50.00" in html
