"""Operations pages: role check, create/edit/deactivate, and the CSV price-list import on real RQ and Redis."""
from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from app.catalog.models import ImportStatus, Offer, PriceListImport, PricePoint, Supplier
from app.catalog.services import today
from app.extensions import db


def test_buyer_cannot_open_ops_pages(buyer_client):
    assert buyer_client.get("/ops/catalog/suppliers").status_code == 403
    assert buyer_client.post("/ops/catalog/suppliers/new", data={"name": "x"}).status_code == 403


def test_ops_sees_every_list(ops_client, catalog):
    catalog.comparison_scenario()
    for kind in ("suppliers", "products", "offers", "tax-categories", "fx-rates"):
        r = ops_client.get(f"/ops/catalog/{kind}")
        assert r.status_code == 200, kind
    assert "东京优品 Tokyo" in ops_client.get("/ops/catalog/suppliers").get_data(as_text=True)


SUPPLIER = {"name": "大阪 Osaka Direct", "country": "JP", "fulfilment": "direct_mail", "currency": "JPY",
            "lead_min_days": "5", "lead_max_days": "12", "on_time_rate": "93", "rating": "4.4"}


def test_create_supplier_and_refuse_bad_input(ops_client, db_session):
    bad = dict(SUPPLIER, lead_max_days="2", rating="7")
    r = ops_client.post("/ops/catalog/suppliers/new", data=bad)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Must not be shorter than the shortest lead time." in html
    assert "Enter a rating from 0 to 5." in html
    assert db_session.scalar(select(func.count(Supplier.id))) == 0

    r = ops_client.post("/ops/catalog/suppliers/new", data=SUPPLIER)
    assert r.status_code == 303
    supplier = db_session.scalar(select(Supplier))
    assert (supplier.name, supplier.currency, supplier.on_time_rate) == ("大阪 Osaka Direct", "JPY", Decimal("0.9300"))

    again = ops_client.post("/ops/catalog/suppliers/new", data=dict(SUPPLIER, name="大阪 osaka direct"))
    assert again.status_code == 422 and "Another supplier already has this name." in again.get_data(as_text=True)


def test_edit_offer_price_records_history_and_moves_the_best_price(ops_client, catalog, db_session):
    s = catalog.comparison_scenario()
    ny = s["offers"]["ny"]
    product = s["product"]
    assert product.best_offer_id == s["offers"]["tokyo"].id
    form = {"supplier_id": str(ny.supplier_id), "product_id": str(product.id), "supplier_sku": ny.supplier_sku,
            "unit_price": "5.00", "price_tiers": "10:4.00", "moq": "1", "order_increment": "1", "stock": "500",
            "shipping_base": "0", "shipping_per_unit": "0", "shipping_free_over": "", "insurance_rate": "0",
            "lead_time_days": "9", "regime": "retail", "valid_from": today().isoformat(), "valid_to": ""}
    bad = ops_client.post(f"/ops/catalog/offers/{ny.id}/edit", data=dict(form, unit_price="5.001", price_tiers="ten"))
    assert bad.status_code == 422
    db_session.refresh(ny)
    assert ny.unit_price_minor == 800

    r = ops_client.post(f"/ops/catalog/offers/{ny.id}/edit", data=form)
    assert r.status_code == 303
    db_session.refresh(ny)
    db_session.refresh(product)
    assert ny.unit_price_minor == 500 and ny.price_tiers == [{"min_quantity": 10, "unit_minor": 400}]
    point = db_session.scalar(select(PricePoint).where(PricePoint.offer_id == ny.id, PricePoint.day == today()))
    assert point.unit_price_minor == 500
    # $5.00 × 7 = ¥35 < Tokyo's ¥50: New York is now the best single-unit price
    assert product.best_offer_id == ny.id


def test_deactivated_offer_leaves_the_comparison(ops_client, catalog, db_session):
    s = catalog.comparison_scenario()
    tokyo = s["offers"]["tokyo"]
    r = ops_client.post(f"/ops/catalog/offers/{tokyo.id}/active", data={"active": "0"})
    assert r.status_code == 303
    db_session.refresh(tokyo)
    assert tokyo.active is False
    html = ops_client.get(f"/catalog/products/{s['product'].id}/compare").get_data(as_text=True)
    assert f'data-offer="{tokyo.id}"' not in html
    db_session.refresh(s["product"])
    assert s["product"].best_offer_id == s["offers"]["paris"].id


HEADER = "supplier_sku,gtin,unit_price,stock,lead_time_days,moq,regime,tiers\n"


@pytest.fixture
def rq_queue(app, redis_url):
    queue = Queue(app.config["RQ_QUEUE"], connection=Redis.from_url(redis_url))
    queue.empty()
    yield queue
    queue.empty()


def run_worker(queue: Queue) -> None:
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def upload(client, supplier_id: int, text: str):
    data = {"file": (io.BytesIO(text.encode("utf-8-sig")), "price-list.csv")}
    return client.post(f"/ops/catalog/suppliers/{supplier_id}/import", data=data, content_type="multipart/form-data")


def test_bad_price_list_is_rejected_whole_with_every_bad_row(ops_client, catalog, db_session, rq_queue):
    s = catalog.comparison_scenario()
    tokyo = s["suppliers"][0]
    product = s["product"]
    before = db_session.scalar(select(func.count(Offer.id)))
    text = HEADER + "\n".join([
        f"NEW-1,{product.gtin},1200,10,5,1,retail,",          # row 2: fine
        f"NEW-2,{product.gtin},12.5,10,5,1,retail,",          # row 3: JPY has no decimals
        "NEW-3,0000000000000,1200,10,5,1,retail,",           # row 4: unknown GTIN
        f"NEW-4,{product.gtin},1200,-1,5,1,retail,",          # row 5: negative stock
        f"NEW-1,{product.gtin},1300,10,5,1,retail,",          # row 6: duplicate SKU
        f"NEW-5,{product.gtin},1200,10,5,1,bonded,10:1100",   # row 7: regime
    ]) + "\n"
    r = upload(ops_client, tokyo.id, text)
    assert r.status_code == 303
    job = db_session.scalar(select(PriceListImport))
    assert job.status is ImportStatus.QUEUED
    assert len(rq_queue) == 1
    run_worker(rq_queue)
    db_session.refresh(job)
    assert job.status is ImportStatus.REJECTED
    assert [(e["row"], e["column"]) for e in job.errors] == [
        (3, "unit_price"), (4, "gtin"), (5, "stock"), (6, "supplier_sku"), (7, "regime")]
    assert db_session.scalar(select(func.count(Offer.id))) == before  # nothing changed, not even row 2
    html = ops_client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Rejected: nothing was changed" in html and "5 problems found" in html
    listing = ops_client.get(f"/ops/catalog/suppliers/{tokyo.id}/import").get_data(as_text=True)
    assert "price-list.csv</a>" in listing and "Rejected: nothing was changed" in listing
    assert "no product with this GTIN" in html and "same SKU as row 2" in html


def test_good_price_list_is_applied_by_the_worker(ops_client, catalog, db_session, rq_queue):
    s = catalog.comparison_scenario()
    tokyo, product = s["suppliers"][0], s["product"]
    existing = s["offers"]["tokyo"]
    text = HEADER + (f"{existing.supplier_sku},{product.gtin},900,40,4,1,retail,\n"
                     f"JP-NEW-1,{product.gtin},1500,8,6,1,retail,10:1400\n")
    r = upload(ops_client, tokyo.id, text)
    status_url = r.headers["Location"]
    queued = ops_client.get(status_url).get_data(as_text=True)
    assert "Waiting for a worker" in queued and 'hx-trigger="every 1s"' in queued
    run_worker(rq_queue)
    job = db_session.scalar(select(PriceListImport))
    db_session.refresh(job)
    assert job.status is ImportStatus.DONE and (job.created_count, job.updated_count) == (1, 1)
    db_session.refresh(existing)
    assert existing.unit_price_minor == 900 and existing.stock == 40
    new = db_session.scalar(select(Offer).where(Offer.supplier_sku == "JP-NEW-1"))
    assert new.currency == "JPY" and new.price_tiers == [{"min_quantity": 10, "unit_minor": 1400}]
    done = ops_client.get(status_url).get_data(as_text=True)
    assert "2 rows: 1 new offers, 1 updated." in done and "every 1s" not in done
    # the price change reached the buyer's comparison
    compare = ops_client.get(f"/api/v1/products/{product.id}/offers?quantity=1").get_json()
    row = next(o for o in compare["offers"] if o["offer_id"] == existing.id)
    assert row["unit_price_minor"] == 900


def test_export_round_trips_through_import(ops_client, catalog, db_session, rq_queue):
    s = catalog.comparison_scenario()
    ny = s["suppliers"][1]
    csv_text = ops_client.get(f"/ops/catalog/suppliers/{ny.id}/export.csv").get_data(as_text=True)
    assert csv_text.startswith("\ufeffsupplier_sku,gtin,unit_price")
    assert f",{s['product'].gtin},8.00,500,9,1,1,retail," in csv_text and "10:4.00" in csv_text
    upload(ops_client, ny.id, csv_text.lstrip("\ufeff"))
    run_worker(rq_queue)
    job = db_session.scalar(select(PriceListImport))
    db_session.refresh(job)
    assert job.status is ImportStatus.DONE and job.updated_count == 1 and job.created_count == 0


def test_upload_that_is_not_utf8_is_refused(ops_client, catalog, rq_queue):
    s = catalog.comparison_scenario()
    data = {"file": (io.BytesIO("供应商".encode("gbk")), "gbk.csv")}
    r = ops_client.post(f"/ops/catalog/suppliers/{s['suppliers'][0].id}/import", data=data,
                        content_type="multipart/form-data")
    assert r.status_code == 422 and "not UTF-8" in r.get_data(as_text=True)
    assert len(rq_queue) == 0


def test_new_fx_rate_reprices_products_in_the_background(ops_client, catalog, db_session, rq_queue):
    s = catalog.comparison_scenario()
    product = s["product"]
    assert product.best_landed_fen == 6_153  # Tokyo at 0.05 CNY/JPY
    r = ops_client.post("/ops/catalog/fx-rates/new", data={
        "currency": "JPY", "rate": "0.0400", "day": today().isoformat(), "source": "PBOC"})
    assert r.status_code == 303
    assert len(rq_queue) == 1  # queued after the commit, not run inside the request
    run_worker(rq_queue)
    db_session.refresh(product)
    # ¥1,000 × 0.04 = ¥40.00 + 70 % of CT and VAT: 40 / 0.85 × 0.28 × 0.7 = ¥9.22 → ¥49.22
    assert product.best_landed_fen == 4_922
    html = ops_client.get(f"/catalog/products/{product.id}/compare").get_data(as_text=True)
    assert "¥49.22" in html


def test_fx_rate_form_refuses_zero_and_cny(ops_client, db_session):
    r = ops_client.post("/ops/catalog/fx-rates/new", data={"currency": "USD", "rate": "0", "day": today().isoformat()})
    assert r.status_code == 422 and "Enter a rate above 0." in r.get_data(as_text=True)
    r = ops_client.post("/ops/catalog/fx-rates/new", data={"currency": "CNY", "rate": "1", "day": today().isoformat()})
    assert r.status_code == 422


def test_tax_category_change_reprices_in_the_background(ops_client, catalog, db_session, rq_queue):
    s = catalog.comparison_scenario()
    cat = s["product"].tax_category
    r = ops_client.post(f"/ops/catalog/tax-categories/{cat.id}/edit", data={
        "code": cat.code, "name_zh": cat.name_zh, "name_en": cat.name_en,
        "vat_rate": "13", "consumption_rate": "0", "tariff_rate": "5"})
    assert r.status_code == 303
    run_worker(rq_queue)
    db_session.refresh(s["product"])
    # no consumption tax any more: ¥50 + 70 % of 13 % VAT = ¥54.55
    assert s["product"].best_landed_fen == 5_455


def test_running_import_shows_progress_and_polls(ops_client, catalog, db_session, redis_url):
    from app.catalog.jobs import progress_key

    s = catalog.comparison_scenario()
    from app.catalog import services
    from app.core.jobs import Intent, IntentStatus

    job = services.accept_import(s["suppliers"][0], None, "big.csv", HEADER)
    # Its job has started (the runner marks the intent running before the work).
    db_session.execute(db.update(Intent).values(status=IntentStatus.RUNNING))
    db_session.flush()
    redis = Redis.from_url(redis_url)
    redis.set(progress_key(job.id), "2500/10000/check", ex=60)
    try:
        r = ops_client.get(f"/ops/catalog/imports/{job.id}", headers={"HX-Request": "true"})
        html = r.get_data(as_text=True)
        assert '<progress class="progress" max="10000" value="2500">' in html
        assert "2500 of 10000 rows checked" in html and 'hx-trigger="every 1s"' in html
        redis.set(progress_key(job.id), "10000/10000/apply", ex=60)
        html = ops_client.get(f"/ops/catalog/imports/{job.id}").get_data(as_text=True)
        assert "All 10000 rows are valid; saving the offers" in html
    finally:
        redis.delete(progress_key(job.id))


def test_edit_forms_show_amounts_tiers_and_specs_as_typed(ops_client, catalog, db_session):
    s = catalog.comparison_scenario()
    ny = s["offers"]["ny"]
    html = ops_client.get(f"/ops/catalog/offers/{ny.id}/edit").get_data(as_text=True)
    assert re.search(r'name="unit_price"[^>]*value="8.00"', html)
    assert re.search(r'name="price_tiers"[^>]*value="10:4.00"', html)
    product = s["product"]
    product.attributes = {"容量": "60ml"}
    db_session.flush()
    html = ops_client.get(f"/ops/catalog/products/{product.id}/edit").get_data(as_text=True)
    assert "容量: 60ml</textarea>" in html
    tokyo = ops_client.get(f"/ops/catalog/offers/{s['offers']['tokyo'].id}/edit").get_data(as_text=True)
    assert re.search(r'name="unit_price"[^>]*value="1000"', tokyo)  # yen have no decimals


def test_create_product_checks_the_barcode_and_finds_it_in_search(ops_client, catalog, db_session):
    from app.catalog.models import Product

    cat = catalog.tax_category(code="health")
    form = {"name_zh": "深海鱼油软胶囊", "name_en": "Fish Oil Softgels", "brand": "Blackmores", "model": "BFO-400",
            "gtin": "9300807282465", "category": "health_food", "tax_category_id": str(cat.id),
            "hs_code": "2106909090", "image_url": "", "attributes": "规格: 400粒\n产地: 澳大利亚"}
    bad = ops_client.post("/ops/catalog/products/new", data=dict(form, gtin="9300807282468", image_url="https://x.test/a.jpg"))
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "The check digit does not match" in text and "Use a path under /static/" in text
    assert ops_client.post("/ops/catalog/products/new", data=form).status_code == 303
    product = db_session.scalar(select(Product).where(Product.gtin == "9300807282465"))
    assert product.attributes == {"规格": "400粒", "产地": "澳大利亚"}
    assert "鱼油" in product.search_text and "fish oil" in product.search_text
    twice = ops_client.post("/ops/catalog/products/new", data=form)
    assert twice.status_code == 422 and "Another product already has this GTIN." in twice.get_data(as_text=True)
