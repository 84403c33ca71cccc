"""Operations forms: a required name, brand or SKU of only whitespace is refused (an offer
with a blank SKU could not be imported back from its own export), and an uploaded price
list's file name never breaks the upload, however long."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.catalog.models import PriceListImport, Product, Supplier, TaxCategory
from app.catalog.services import today

BLANK = "\u3000 \u3000"
SUPPLIER = {"name": "大阪 Osaka Direct", "country": "JP", "fulfilment": "direct_mail", "currency": "JPY",
            "lead_min_days": "5", "lead_max_days": "12", "on_time_rate": "0.93", "rating": "4.4"}


def _required_message(response) -> bool:
    return response.status_code == 422 and "This field is required." in response.get_data(as_text=True)


def test_a_supplier_name_of_only_spaces_is_refused(ops_client, db_session):
    assert _required_message(ops_client.post("/ops/catalog/suppliers/new", data=dict(SUPPLIER, name=BLANK)))
    assert db_session.scalar(select(func.count(Supplier.id))) == 0
    assert ops_client.post("/ops/catalog/suppliers/new", data=dict(SUPPLIER, name="\u3000大阪\u3000")).status_code == 303
    assert db_session.scalar(select(Supplier.name)) == "大阪"


@pytest.mark.parametrize("field", ["name_zh", "name_en"])
def test_tax_category_names_of_only_spaces_are_refused(ops_client, db_session, field):
    form = {"code": "wine", "name_zh": "葡萄酒", "name_en": "Wine", "vat_rate": "0.13",
            "consumption_rate": "0.1", "tariff_rate": "0.14", field: BLANK}
    assert _required_message(ops_client.post("/ops/catalog/tax-categories/new", data=form))
    assert db_session.scalar(select(func.count(TaxCategory.id)).where(TaxCategory.code == "wine")) == 0


@pytest.mark.parametrize("field", ["name_zh", "name_en", "brand"])
def test_product_names_and_brand_of_only_spaces_are_refused(ops_client, catalog, db_session, field):
    tax = catalog.tax_category()
    form = {"name_zh": "面霜", "name_en": "Cream", "brand": "Acme", "category": "cosmetics",
            "tax_category_id": str(tax.id), field: BLANK}
    assert _required_message(ops_client.post("/ops/catalog/products/new", data=form))
    assert db_session.scalar(select(func.count(Product.id)).where(Product.name_en == "Cream")) == 0


def test_an_offer_sku_of_only_spaces_is_refused(ops_client, catalog, db_session):
    s = catalog.comparison_scenario()
    ny = s["offers"]["ny"]
    form = {"supplier_id": str(ny.supplier_id), "product_id": str(s["product"].id), "supplier_sku": BLANK,
            "unit_price": "5.00", "price_tiers": "", "moq": "1", "order_increment": "1", "stock": "500",
            "shipping_base": "0", "shipping_per_unit": "0", "shipping_free_over": "", "insurance_rate": "0",
            "lead_time_days": "9", "regime": "retail", "valid_from": today().isoformat(), "valid_to": ""}
    assert _required_message(ops_client.post(f"/ops/catalog/offers/{ny.id}/edit", data=form))
    db_session.refresh(ny)
    assert ny.supplier_sku.strip()


def test_a_price_list_with_a_very_long_file_name_is_accepted(ops_client, catalog, db_session, queue_name):
    supplier = catalog.comparison_scenario()["suppliers"][0]
    header = "supplier_sku,gtin,unit_price,stock,lead_time_days,moq,regime,tiers\n"
    name = "东京供应商" + "-价格表" * 80 + ".csv"  # 325 characters; the column holds 255
    data = {"file": (io.BytesIO(header.encode("utf-8")), name)}
    response = ops_client.post(f"/ops/catalog/suppliers/{supplier.id}/import", data=data,
                               content_type="multipart/form-data")
    assert response.status_code == 303
    stored = db_session.scalar(select(PriceListImport.filename))
    assert len(stored) == 255 and stored.startswith("东京供应商-价格表") and stored.endswith(".csv")
