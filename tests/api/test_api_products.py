"""GET /api/v1/products: the catalog search as JSON, paged by opaque cursors; offers with a token."""
from __future__ import annotations

from decimal import Decimal

import pytest

from app.catalog.queries import PAGE_SIZE


@pytest.fixture
def many(catalog):
    """PAGE_SIZE + 5 creams at rising prices, and one product that does not match."""
    catalog.fx("USD", "7.00", day=None)
    cat = catalog.tax_category(code="api_cream", vat_rate=Decimal("0.13"))
    supplier = catalog.supplier(name="API 测试供应商", country="US", currency="USD")
    creams = []
    for n in range(PAGE_SIZE + 5):
        product = catalog.product(name_zh=f"面霜 {n:02d}", name_en=f"Cream {n:02d}", tax_category=cat)
        catalog.offer(product, supplier, unit_price_minor=1_000 + n * 10, stock=100)
        creams.append(product)
    other = catalog.product(name_zh="牙刷", name_en="Toothbrush", tax_category=cat)
    catalog.offer(other, supplier, unit_price_minor=100, stock=100)
    catalog.refresh()
    return creams


def test_search_pages_cheapest_first_to_a_null_cursor(api, many):
    first = api.get("/api/v1/products?q=面霜").get_json()
    assert [p["id"] for p in first["items"]] == [p.id for p in many[:PAGE_SIZE]]
    assert first["items"][0]["name"] == "面霜 00" and first["items"][0]["name_en"] == "Cream 00"
    assert first["items"][0]["best_unit_landed_fen"] < first["items"][1]["best_unit_landed_fen"]
    assert first["next_cursor"] and "." not in first["next_cursor"], "the cursor is opaque"
    second = api.get(f"/api/v1/products?q=面霜&cursor={first['next_cursor']}").get_json()
    assert [p["id"] for p in second["items"]] == [p.id for p in many[PAGE_SIZE:]]
    assert second["next_cursor"] is None


def test_names_come_in_the_callers_language(api, many):
    r = api.get("/api/v1/products?q=cream", headers={"Accept-Language": "en"})
    assert r.get_json()["items"][0]["name"] == "Cream 00"


def test_a_page_is_one_query_whatever_its_size(api, many, count_queries):
    api.get("/api/v1/products")  # the token's first use of the minute is noted (an UPDATE)
    with count_queries() as full:
        assert len(api.get("/api/v1/products?q=面霜").get_json()["items"]) == PAGE_SIZE
    with count_queries() as single:
        assert len(api.get("/api/v1/products?q=牙刷").get_json()["items"]) == 1
    assert len(full) == len(single) == 2, "the token (with its user) and the search"


@pytest.mark.parametrize("query, field", [
    ("cursor=garbage", "cursor"),
    ("cursor=bzoxMjM", "cursor"),          # an orders cursor ("o:123") is no products cursor
    ("cursor=cDpub3QtYS1wb3NpdGlvbg", "cursor"),
    ("category=weapons", "category"),
    ("min_price=abc", "min_price"),
    ("gtin=12345", "gtin"),
])
def test_bad_parameters_are_400_naming_them(api, many, query, field):
    r = api.get(f"/api/v1/products?{query}")
    assert r.status_code == 400 and r.get_json()["error"]["field"] == field, r.get_json()


def test_a_products_offers_take_a_token_too(api, shop):
    r = api.get(f"/api/v1/products/{shop.product.id}/offers?quantity=2")
    assert r.status_code == 200
    assert {o["offer_id"] for o in r.get_json()["offers"]} == {shop.cny_offer.id, shop.usd_offer.id,
                                                                shop.general_offer.id}
