"""A product's image address: a clean path to a file under /static/ on this site, nothing else."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.catalog.models import Product


def product_form(category_id: int, **kw: str) -> dict[str, str]:
    form = {"name_zh": "深海鱼油软胶囊", "name_en": "Fish Oil Softgels", "brand": "Blackmores", "model": "BFO-400",
            "gtin": "", "category": "health_food", "tax_category_id": str(category_id), "hs_code": "",
            "image_url": "", "attributes": ""}
    form.update(kw)
    return form


@pytest.mark.parametrize("address", [
    "/static/../logout",
    "/static/img/../../logout",
    "/static/./img/a.jpg",
    "/static/img/%2e%2e/%2e%2e/logout",
    "/static/%2E%2E/logout",
    "/static/img/..%2flogout",
    "/static//evil.example/a.jpg",
    "/static/img\\..\\logout",
    "/static/img/.hidden.jpg",
    "/static/img/",
    "/static/a.jpg?next=/logout",
    "/logout",
    "//evil.example/a.jpg",
    "javascript:alert(1)",
])
def test_an_address_that_leaves_static_files_is_refused(ops_client, catalog, db_session, address):
    cat = catalog.tax_category()
    r = ops_client.post("/ops/catalog/products/new", data=product_form(cat.id, image_url=address))
    assert r.status_code == 422
    assert "Use a path under /static/, such as /static/img/products/cream.jpg." in r.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Product.id)).where(Product.name_en == "Fish Oil Softgels")) == 0


@pytest.mark.parametrize("address", ["/static/img/products/cream.jpg", "/static/img/products/fish-oil_400.v2.webp",
                                     "/static/favicon.svg"])
def test_a_clean_static_path_is_saved_and_shown(ops_client, catalog, db_session, address):
    cat = catalog.tax_category()
    r = ops_client.post("/ops/catalog/products/new", data=product_form(cat.id, image_url=address))
    assert r.status_code == 303
    product = db_session.scalar(select(Product).where(Product.name_en == "Fish Oil Softgels"))
    assert product.image_url == address
    html = ops_client.get(f"/catalog/products/{product.id}").get_data(as_text=True)
    assert f'<img class="product-image" src="{address}"' in html
