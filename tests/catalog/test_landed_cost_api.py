"""GET /api/v1/landed-cost and the calculator page: public, rate limited, exact to the fen."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.catalog.services import today

ISSUE_EXAMPLE = ("/api/v1/landed-cost?unit_price=12.50&currency=USD&quantity=3&shipping=8.00&insurance=0"
                 "&fx_rate=7.1234&regime=retail&vat_rate=0.13&consumption_tax_rate=0.15&tariff_rate=0&ytd_cny=0")


def test_issue_example_without_login(client):
    r = client.get(ISSUE_EXAMPLE)
    assert r.status_code == 200
    body = r.get_json()
    assert {k: body[k] for k in ("goods_fen", "shipping_fen", "insurance_fen", "dutiable_fen", "tariff_fen",
                                 "consumption_tax_fen", "vat_fen", "tax_fen", "landed_fen", "unit_landed_fen")} == {
        "goods_fen": 26713, "shipping_fen": 5698, "insurance_fen": 0, "dutiable_fen": 32411, "tariff_fen": 0,
        "consumption_tax_fen": 4004, "vat_fen": 3470, "tax_fen": 7474, "landed_fen": 39885, "unit_landed_fen": 13295}
    assert body["regime_applied"] == "retail"
    assert body["within_limits"] is True
    assert isinstance(body["notes"], list) and body["notes"]


def test_over_the_order_limit_is_taxed_as_general_trade(client):
    # 800 × $10 = $8,000 × 7 = ¥56,000: far over ¥5,000
    r = client.get("/api/v1/landed-cost?unit_price=10&currency=USD&quantity=800&fx_rate=7"
                   "&regime=retail&vat_rate=0.13&consumption_tax_rate=0&tariff_rate=0.1")
    body = r.get_json()
    assert body["regime_applied"] == "general" and body["within_limits"] is False
    assert body["tariff_fen"] == 560_000
    assert body["vat_fen"] == 800_800  # (56,000 + 5,600) × 0.13
    assert any("5,000" in n for n in body["notes"])


def test_year_to_date_pushes_over_the_annual_limit(client):
    url = ("/api/v1/landed-cost?unit_price=1000&currency=CNY&quantity=1&regime=retail&vat_rate=0.13"
           "&ytd_cny={}")
    assert client.get(url.format("25000")).get_json()["within_limits"] is True
    over = client.get(url.format("25000.01")).get_json()
    assert over["within_limits"] is False and over["vat_fen"] == 13_000


def test_stored_rate_of_the_day_when_fx_rate_is_absent(client, catalog):
    catalog.fx("JPY", "0.0500", today() - timedelta(days=3))
    catalog.fx("JPY", "0.0480", today())
    catalog.fx("JPY", "0.0600", today() + timedelta(days=1))  # not yet in force
    r = client.get("/api/v1/landed-cost?unit_price=2000&currency=JPY&quantity=1&regime=general&vat_rate=0")
    body = r.get_json()
    assert r.status_code == 200
    assert body["dutiable_fen"] == 9_600
    assert body["fx_day"] == today().isoformat()
    assert Decimal(body["fx_rate"]) == Decimal("0.048")


def test_category_replaces_the_three_rates(client, catalog):
    catalog.tax_category(code="perfume", vat_rate=Decimal("0.13"), consumption_rate=Decimal("0.15"),
                         tariff_rate=Decimal("0.03"))
    r = client.get("/api/v1/landed-cost?unit_price=100&currency=CNY&quantity=1&regime=general&category=perfume")
    body = r.get_json()
    # tariff 300; CT (10,000 + 300) / 0.85 × 0.15 = 1,817.6… → 1,818; VAT 12,117.6… × 0.13 = 1,575.3 → 1,575
    assert (body["tariff_fen"], body["consumption_tax_fen"], body["vat_fen"]) == (300, 1_818, 1_575)


@pytest.mark.parametrize("query, field", [
    ("unit_price=-1&currency=USD&quantity=1&fx_rate=7", "unit_price"),
    ("unit_price=abc&currency=USD&quantity=1&fx_rate=7", "unit_price"),
    ("unit_price=1.5&currency=JPY&quantity=1&fx_rate=0.05", "unit_price"),
    ("unit_price=1&currency=XYZ&quantity=1&fx_rate=7", "currency"),
    ("unit_price=1&currency=USD&quantity=0&fx_rate=7", "quantity"),
    ("unit_price=1&currency=USD&quantity=2.5&fx_rate=7", "quantity"),
    ("unit_price=1&currency=USD&quantity=1&fx_rate=7&vat_rate=1", "vat_rate"),
    ("unit_price=1&currency=USD&quantity=1&fx_rate=7&consumption_tax_rate=1.2", "consumption_tax_rate"),
    ("unit_price=1&currency=USD&quantity=1&fx_rate=7&tariff_rate=-0.1", "tariff_rate"),
    ("unit_price=1&currency=USD&quantity=1&fx_rate=-7", "fx_rate"),
    ("unit_price=1&currency=USD&quantity=1&fx_rate=7&shipping=-2", "shipping"),
    ("unit_price=1&currency=USD&quantity=1&fx_rate=7&regime=bonded", "regime"),
    ("unit_price=1&currency=USD&quantity=1&fx_rate=7&ytd_cny=x", "ytd_cny"),
    ("unit_price=1&currency=USD&quantity=1&fx_rate=7&category=nope", "category"),
    ("unit_price=1&currency=GBP&quantity=1", "fx_rate"),  # no stored GBP rate
    ("unit_price=1e400&currency=USD&quantity=1&fx_rate=7", "unit_price"),
    ("unit_price=NaN&currency=USD&quantity=1&fx_rate=7", "unit_price"),
])
def test_bad_input_is_400_naming_the_field(client, query, field):
    r = client.get("/api/v1/landed-cost?" + query)
    assert r.status_code == 400
    error = r.get_json()["error"]
    assert error["field"] == field
    assert error["message"]


def test_rate_limited(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "CATALOG_API_LIMIT", "3 per minute")
    url = "/api/v1/landed-cost?unit_price=1&currency=CNY&quantity=1"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    r = client.get(url)
    assert r.status_code == 429
    assert r.get_json()["error"]["code"] == "rate_limited"
    assert int(r.headers["Retry-After"]) > 0


def test_calculator_page_full_and_htmx_fragment(client):
    url = "/landed-cost?unit_price=12.50&currency=USD&quantity=3&shipping=8.00&fx_rate=7.1234&regime=retail&vat_rate=0.13&consumption_tax_rate=0.15"
    client.set_cookie("kj_lang", "en")
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<form" in html and "¥398.85" in html  # landed total
    fragment = client.get(url, headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'id="breakdown"' in body and "¥132.95" in body
    assert "HX-Request" in fragment.headers["Vary"]


def test_calculator_page_says_which_field_is_wrong(client):
    client.set_cookie("kj_lang", "en")
    r = client.get("/landed-cost?unit_price=12.50&currency=USD&quantity=0&fx_rate=7")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'data-field="quantity"' in html and "Quantity: Enter a whole number of at least 1." in html
    client.set_cookie("kj_lang", "zh_CN")
    html = client.get("/landed-cost?unit_price=12.50&currency=USD&quantity=0&fx_rate=7").get_data(as_text=True)
    assert "数量" in html and "Enter a whole number" not in html
