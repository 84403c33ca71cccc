"""Each compared offer opens its own landed-cost breakdown, the calculator's numbers; the
calculator shows the rates it applies; rates are typed as percentages; FX rates show 4 places."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.catalog.services import today


def offer_row(html: str, offer_id: int) -> str:
    """The offer's row and its breakdown row."""
    start = html.index(f'<tr data-offer="{offer_id}"')
    rest = html[start:]
    ends = [m.start() for m in re.finditer(r'<tr (?:data-offer|class="more-row")', rest)][1:2]
    return rest[:ends[0]] if ends else rest[:rest.index("</tbody>")]


def lines(html: str) -> dict[str, str]:
    return {k: re.sub(r"<[^>]+>", "", v).strip() for k, v in re.findall(r'data-line="(\w+)"[^>]*>(.*?)</dd>', html, re.S)}


def test_an_offer_row_opens_the_calculators_breakdown(buyer_client, catalog):
    s = catalog.comparison_scenario()
    ny = s["offers"]["ny"]
    html = buyer_client.get(f"/catalog/products/{s['product'].id}/compare?quantity=10").get_data(as_text=True)
    row = offer_row(html, ny.id)
    # a disclosure whose breakdown htmx loads as it opens
    opening = re.search(r'<details[^>]*hx-get="([^"]+)"', row).group(1).replace("&amp;", "&")
    fragment = buyer_client.get(opening, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "<tr" not in fragment
    got = lines(fragment)
    # ten units at the $4.00 tier: $40.00 at 7.00 = ¥280.00, cross-border retail within the limits
    assert got["goods"].startswith("¥280.00") and "10 × US$4.00" in got["goods"]
    assert got["landed"] == "¥344.57" and got["unit_landed"] == "¥34.46"
    assert got["tariff"] == "¥0.00" and got["vat"] and got["consumption_tax"]
    since = today() - timedelta(days=365)
    assert "1 USD = ¥7.0000" in fragment and str(since.year) in fragment  # the rate and the day it took effect
    assert 'data-regime="retail"' in fragment and 'data-note="retail_rates"' in fragment
    assert "VAT 13%" in fragment and "consumption tax 15%" in fragment
    # without script the same address is the page with that breakdown open
    page = offer_row(buyer_client.get(opening).get_data(as_text=True), ny.id)
    assert "<details open" in page and lines(page) == got
    # the calculator with that offer's inputs, without typing them in: the same numbers
    link = re.search(r'href="(/landed-cost\?[^"]+)"', row).group(1).replace("&amp;", "&")
    calc = buyer_client.get(link).get_data(as_text=True)
    assert lines(calc[calc.index('id="breakdown"'):]) == got
    assert buyer_client.get(opening.replace(f"breakdown={ny.id}", "breakdown=999999"),
                            headers={"HX-Request": "true"}).status_code == 404


def test_a_category_fills_in_the_rates_it_applies(client, catalog):
    cat = catalog.tax_category(code="premium_cosmetics", name_zh="高档化妆品", name_en="Premium cosmetics",
                               consumption_rate=Decimal("0.15"), tariff_rate=Decimal("0.05"))
    html = client.get(f"/landed-cost?unit_price=100&currency=CNY&quantity=1&category={cat.code}").get_data(as_text=True)
    field = re.search(r'<input[^>]*id="consumption_tax_pct"[^>]*>', html).group(0)
    assert 'value="15"' in field and "readonly" in field
    assert re.search(r'<option value="premium_cosmetics"[^>]*data-consumption="15"', html)
    assert "消费税 15%" in html and "关税 5%" in html


def test_rates_are_typed_as_percentages_on_the_page_and_fractions_in_the_api(client):
    base = "unit_price=12.50&currency=USD&quantity=3&shipping=8.00&fx_rate=7.1234&regime=retail"
    page = client.get(f"/landed-cost?{base}&vat_pct=13&consumption_tax_pct=15").get_data(as_text=True)
    api = client.get(f"/api/v1/landed-cost?{base}&vat_rate=0.13&consumption_tax_rate=0.15").get_json()
    assert lines(page)["landed"] == "¥398.85" and api["landed_fen"] == 39_885
    for raw, message in (("13.555", "最多保留 2 位小数"), ("100", "0 到 100 之间"), ("abc", "0 到 100 之间")):
        bad = client.get(f"/landed-cost?{base}&vat_pct={raw}").get_data(as_text=True)
        assert 'data-field="vat_pct"' in bad and message in bad, raw


def test_ops_forms_take_percentages(ops_client, catalog, db_session):
    from app.catalog.models import TaxCategory

    data = {"code": "pct_cat", "name_zh": "百分比", "name_en": "Percent", "vat_rate": "13",
            "consumption_rate": "15", "tariff_rate": "2.5"}
    assert ops_client.post("/ops/catalog/tax-categories/new", data=data).status_code == 303
    cat = db_session.scalar(select(TaxCategory).where(TaxCategory.code == "pct_cat"))
    assert (cat.vat_rate, cat.consumption_rate, cat.tariff_rate) == (Decimal("0.13"), Decimal("0.15"), Decimal("0.025"))
    form = ops_client.get(f"/ops/catalog/tax-categories/{cat.id}/edit").get_data(as_text=True)
    assert re.search(r'name="tariff_rate"[^>]*value="2.5"', form) and "(%)" in form
    listing = ops_client.get("/ops/catalog/tax-categories").get_data(as_text=True)
    assert "13%" in listing and "2.5%" in listing and "0.1300" not in listing
    r = ops_client.post("/ops/catalog/tax-categories/new", data=dict(data, code="too_fine", vat_rate="13.125"))
    assert r.status_code == 422 and "Use at most 2 decimal places." in r.get_data(as_text=True)
    assert ops_client.post("/ops/catalog/tax-categories/new", data=dict(data, code="whole", vat_rate="100")).status_code == 422


def test_fx_rates_show_four_places(ops_client, catalog):
    catalog.fx("USD", "7.12345678")
    catalog.fx("KRW", "0.00523456")
    listing = ops_client.get("/ops/catalog/fx-rates").get_data(as_text=True)
    assert "7.1235" in listing and "7.12345678" not in listing
    assert "0.005235" in listing  # a small rate keeps four significant digits
