"""A product with many offers: pages show the best ones and more on request, the offers API
pages with a cursor, and what is kept in memory follows every change to the catalog."""
from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import text

from app.catalog.pages import PAGE_ROWS


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-offer="(\d+)"', html)


def more_link(html: str) -> str | None:
    found = re.search(r'<a[^>]+href="([^"]+)"[^>]*data-more', html)
    return found.group(1).replace("&amp;", "&") if found else None


def many_offers(catalog, n: int, **kw):
    product = catalog.product()
    supplier = catalog.supplier(currency="CNY")
    offers = [catalog.offer(product, supplier, supplier_sku=f"M-{i}", unit_price_minor=10_000 + 10 * i,
                            lead_time_days=3 + i % 7, **kw) for i in range(n)]
    return product, offers


def test_compare_shows_the_best_offers_and_the_rest_on_request(buyer_client, catalog):
    product, offers = many_offers(catalog, 45)
    url = f"/catalog/products/{product.id}/compare?quantity=2&sort=unit"
    first = buyer_client.get(url).get_data(as_text=True)
    shown = rows(first)
    # the cheapest twenty, in table order, and the recommendation is computed over all 45
    assert shown == [str(o.id) for o in offers[:PAGE_ROWS]]
    assert "45 offers" in first and "1–20" in first
    assert 'data-offer="' in first.split('id="recommendation"')[1].split("</section>")[0]
    # the plain link opens the next twenty; htmx asks for the rows alone, to add them below
    nxt = more_link(first)
    assert nxt and "after=" in nxt
    second = buyer_client.get(nxt).get_data(as_text=True)
    assert rows(second) == [str(o.id) for o in offers[20:40]] and "21–40" in second
    fragment = buyer_client.get(nxt, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'id="compare"' not in fragment
    assert fragment.lstrip().startswith("<tr") and rows(fragment) == rows(second)
    third = buyer_client.get(more_link(fragment)).get_data(as_text=True)
    assert rows(third) == [str(o.id) for o in offers[40:]] and more_link(third) is None


def test_a_cursor_from_another_order_starts_from_the_top(buyer_client, catalog):
    product, offers = many_offers(catalog, 25)
    page = buyer_client.get(f"/catalog/products/{product.id}/compare?sort=unit").get_data(as_text=True)
    cursor = re.search(r"after=([^&\"]+)", more_link(page)).group(1)
    other = buyer_client.get(f"/catalog/products/{product.id}/compare?sort=lead&after={cursor}")
    assert other.status_code == 200 and len(rows(other.get_data(as_text=True))) == PAGE_ROWS
    junk = buyer_client.get(f"/catalog/products/{product.id}/compare?after=%E2%80%94not-ours")
    assert junk.status_code == 200 and len(rows(junk.get_data(as_text=True))) == PAGE_ROWS


def test_offers_api_pages_with_an_opaque_cursor(buyer_client, catalog):
    product, offers = many_offers(catalog, 45)
    url = f"/api/v1/products/{product.id}/offers?quantity=2&limit=20"
    seen, cursor, pages = [], None, 0
    while True:
        body = buyer_client.get(url + (f"&cursor={cursor}" if cursor else "")).get_json()
        pages += 1
        assert body["total"] == 45 and body["recommendation"]["offer_id"]
        seen += [o["offer_id"] for o in body["offers"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    assert pages == 3 and len(seen) == 45 and len(set(seen)) == 45
    default = buyer_client.get(f"/api/v1/products/{product.id}/offers").get_json()
    assert len(default["offers"]) == 45 and default["next_cursor"] is None  # the default page holds 50


def test_offers_api_refuses_a_bad_cursor_or_limit(buyer_client, catalog):
    product, _ = many_offers(catalog, 3)
    base = f"/api/v1/products/{product.id}/offers"
    for query, field in (("cursor=not-a-cursor", "cursor"), ("limit=0", "limit"), ("limit=201", "limit"),
                         ("limit=abc", "limit")):
        r = buyer_client.get(f"{base}?{query}")
        assert r.status_code == 400, query
        assert r.get_json()["error"]["field"] == field


def test_product_page_lists_the_cheapest_offers_and_more_on_request(buyer_client, catalog):
    product, offers = many_offers(catalog, 30)
    html = buyer_client.get(f"/catalog/products/{product.id}").get_data(as_text=True)
    market = html.split('id="market"')[1].split("</section>")[0]
    assert rows(market) == [str(o.id) for o in offers[:PAGE_ROWS]]
    nxt = more_link(market)
    fragment = buyer_client.get(nxt, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert rows(fragment) == [str(o.id) for o in offers[20:]] and more_link(fragment) is None


def test_kept_rankings_follow_every_change(buyer_client, catalog, db_session):
    product, offers = many_offers(catalog, 3)
    url = f"/api/v1/products/{product.id}/offers?quantity=1"

    def units() -> dict[int, int]:
        return {o["offer_id"]: o["landed"]["unit_landed_fen"] for o in buyer_client.get(url).get_json()["offers"]
                if o["landed"]}

    before = units()
    assert units() == before  # the second answer comes from memory
    offers[0].unit_price_minor = 20_000  # through the ORM
    db_session.flush()
    assert units()[offers[0].id] > before[offers[0].id]
    db_session.execute(text("UPDATE offers SET unit_price_minor = 5000 WHERE id = :i"), {"i": offers[1].id})
    assert units()[offers[1].id] < before[offers[1].id]  # SQL by hand, too
    extra = catalog.offer(product, catalog.supplier(currency="USD"), unit_price_minor=100)
    assert extra.id not in units()  # no USD rate yet: it cannot be costed
    catalog.fx("USD", "7.00")
    assert units()[extra.id] == 764  # $1.00 at 7.00 = ¥7.00, plus 70 % of 13 % VAT (¥0.64)
    extra.supplier.active = False
    db_session.flush()
    assert extra.id not in units()
    product.tax_category.vat_rate = Decimal("0.09")  # the product's rates are read afresh
    db_session.flush()
    assert units()[offers[0].id] == 21_260  # ¥200.00 plus 70 % of 9 % VAT


def test_query_count_is_fixed_and_lower_from_memory(buyer_client, catalog, count_queries):
    product, _ = many_offers(catalog, 5)
    url = f"/catalog/products/{product.id}/compare?quantity=2"
    buyer_client.get("/catalog")  # the signed-in user's own queries are warmed up
    with count_queries() as cold:
        assert buyer_client.get(url).status_code == 200
    with count_queries() as warm:
        assert buyer_client.get(url).status_code == 200
    for i in range(60):
        catalog.offer(product, catalog.supplier(currency="CNY"), unit_price_minor=900 + i)
    with count_queries() as many:
        assert len(rows(buyer_client.get(url).get_data(as_text=True))) == PAGE_ROWS
    assert len(many) == len(cold) <= 4 and len(warm) == len(cold) - 1, (cold, warm)
