"""Words people read instead of codes, in the language they chose: attribute names, tax
categories, product names, plurals, the role on the home page and the current language."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest


def test_known_attribute_names_are_translated(buyer_client, catalog, client, login, make_user):
    product = catalog.product(attributes={"spec": "50ml", "香型": "无香"})
    html = buyer_client.get(f"/catalog/products/{product.id}").get_data(as_text=True)
    assert "<dt>Specification</dt><dd>50ml</dd>" in html and "<dt>spec</dt>" not in html
    assert "<dt>香型</dt><dd>无香</dd>" in html  # a name typed by an operator is shown as typed
    login(client, make_user(role="buyer"))
    chinese = client.get(f"/catalog/products/{product.id}").get_data(as_text=True)
    assert "<dt>规格</dt><dd>50ml</dd>" in chinese


def test_ops_pages_name_tax_categories_and_products_in_the_readers_language(ops_client, catalog):
    cat = catalog.tax_category(code="cosmetics_premium", name_zh="高档化妆品", name_en="Premium cosmetics",
                               consumption_rate=Decimal("0.15"))
    product = catalog.product(name_zh="雪花秀面霜", name_en="Sulwhasoo cream", tax_category=cat)
    catalog.offer(product, catalog.supplier())
    products = ops_client.get("/ops/catalog/products").get_data(as_text=True)
    row = re.search(rf'<tr class="" data-id="{product.id}">(.*?)</tr>', products, re.S).group(1)
    assert "Premium cosmetics" in row and "cosmetics_premium" not in row
    form = ops_client.get(f"/ops/catalog/products/{product.id}/edit").get_data(as_text=True)
    option = re.search(rf'<option[^>]*value="{cat.id}"[^>]*>([^<]*)</option>', form).group(1)
    assert option == "Premium cosmetics"
    offers = ops_client.get("/ops/catalog/offers").get_data(as_text=True)
    assert "Sulwhasoo cream" in offers and "雪花秀面霜" not in offers


def test_one_unit_is_singular(buyer_client, catalog):
    s = catalog.comparison_scenario()
    html = buyer_client.get(f"/catalog/products/{s['product'].id}/compare?quantity=1").get_data(as_text=True)
    assert "4 offers at 1 unit" in html and "1 units" not in html
    assert "1 unit landed for ¥61.53" in html
    assert "4 offers at 2 units" in buyer_client.get(f"/catalog/products/{s['product'].id}/compare?quantity=2").get_data(as_text=True)


def test_home_says_the_role_in_words(client, make_user, login):
    login(client, make_user(role="owner", language="en"))
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'Role: <span data-role="owner">Owner</span>', html)
    assert "role:" not in html


@pytest.mark.parametrize("language, current", [("zh_CN", "中文"), ("en", "English")])
def test_the_current_language_is_marked(client, language, current):
    client.post("/language", data={"language": language, "next": "/"})
    html = client.get("/login").get_data(as_text=True)
    pressed = re.findall(r'<button[^>]*aria-pressed="true"[^>]*>([^<]+)</button>', html)
    assert pressed == [current]
