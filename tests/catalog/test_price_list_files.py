"""Supplier price lists as files: imports at the size the limit allows, exports that a
spreadsheet cannot run, and files the CSV parser cannot read, each through the worker."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from app.catalog.models import ImportStatus, Offer, PriceListImport, PricePoint
from app.catalog.services import today
from tests.catalog.test_ops import HEADER, rq_queue, run_worker, upload  # noqa: F401  (fixture)


def imported(client, db_session, queue, supplier, text: str) -> PriceListImport:
    r = upload(client, supplier.id, text)
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    run_worker(queue)
    job = db_session.scalar(select(PriceListImport).order_by(PriceListImport.id.desc()))
    db_session.refresh(job)
    return job


# --- more rows than one statement can carry ------------------------------------------------------

def test_a_price_list_too_big_for_one_statement_is_applied(ops_client, catalog, db_session, rq_queue):
    s = catalog.comparison_scenario()
    ny, gtin = s["suppliers"][1], s["product"].gtin
    # Each new offer gets a price point of 3 parameters: one INSERT for all of them would
    # need 65,538, over the 65,535 PostgreSQL takes in one statement.
    n = 21_846
    text = HEADER + "".join(f"BULK-{i},{gtin},1.00,10,5,1,retail,\n" for i in range(n))
    job = imported(ops_client, db_session, rq_queue, ny, text)
    assert job.status is ImportStatus.DONE, job.status
    assert (job.total_rows, job.created_count, job.updated_count) == (n, n, 0)
    bulk = select(Offer.id).where(Offer.supplier_id == ny.id, Offer.supplier_sku.like("BULK-%"))
    assert db_session.scalar(select(func.count()).select_from(bulk.subquery())) == n
    points = select(func.count(PricePoint.id)).where(PricePoint.offer_id.in_(bulk), PricePoint.day == today())
    assert db_session.scalar(points) == n
    html = ops_client.get(f"/ops/catalog/imports/{job.id}").get_data(as_text=True)
    assert f"{n} rows: {n} new offers, 0 updated." in html


# --- exports a spreadsheet cannot run, which import back unchanged ---------------------------------

FORMULA_SKUS = ["=cmd|' /C calc'!A0", "-A1", "+86-1", "@SUM(A1:A9)", "'=quoted", "PLAIN-1"]


def offer_facts(session, supplier_id: int) -> list[tuple]:
    session.expire_all()
    return [(o.supplier_sku, o.product_id, o.unit_price_minor, o.price_tiers, o.stock, o.lead_time_days, o.moq,
             o.order_increment, o.regime, o.valid_from, o.valid_to, o.shipping_base_minor, o.shipping_per_unit_minor,
             o.shipping_free_over_minor, o.insurance_rate, o.active)
            for o in session.scalars(select(Offer).where(Offer.supplier_id == supplier_id).order_by(Offer.supplier_sku))]


def test_export_neutralises_formulas_and_imports_back_to_the_same_offers(ops_client, catalog, db_session, rq_queue):
    import csv
    from datetime import timedelta
    from decimal import Decimal

    s = catalog.comparison_scenario()
    supplier, product = catalog.supplier(currency="EUR"), s["product"]
    for i, sku in enumerate(FORMULA_SKUS):
        catalog.offer(product, supplier, supplier_sku=sku, unit_price_minor=1_250 + i, stock=7 + i, moq=2,
                      order_increment=2, price_tiers=[{"min_quantity": 10, "unit_minor": 1_100}],
                      valid_to=today() + timedelta(days=60), shipping_base_minor=300, shipping_per_unit_minor=15,
                      shipping_free_over_minor=50_000, insurance_rate=Decimal("0.0125"))
    before = offer_facts(db_session, supplier.id)

    r = ops_client.get(f"/ops/catalog/suppliers/{supplier.id}/export.csv")
    assert r.headers.getlist("Content-Type") == ["text/csv; charset=utf-8"]
    assert r.headers["Content-Disposition"] == f"attachment; filename=offers-supplier-{supplier.id}.csv"
    text = r.get_data(as_text=True)
    # What Excel or LibreOffice gets: no cell starts with a formula character.
    cells = [row[0] for row in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))][1:]
    assert sorted(cells) == sorted(["'=cmd|' /C calc'!A0", "'-A1", "'+86-1", "'@SUM(A1:A9)", "''=quoted", "PLAIN-1"])

    job = imported(ops_client, db_session, rq_queue, supplier, text.lstrip("\ufeff"))
    assert job.status is ImportStatus.DONE, job.errors
    assert (job.created_count, job.updated_count) == (0, len(FORMULA_SKUS))
    assert offer_facts(db_session, supplier.id) == before


# --- files the CSV parser cannot read as they are ------------------------------------------------

def test_a_price_list_with_carriage_return_line_ends_is_imported(ops_client, catalog, db_session, rq_queue):
    s = catalog.comparison_scenario()
    ny, gtin = s["suppliers"][1], s["product"].gtin
    # What "CSV (Macintosh)" in older spreadsheets saves: CR alone ends each line.
    text = (HEADER + f"MAC-1,{gtin},3.00,10,5,1,retail,\nMAC-2,{gtin},4.00,20,6,1,retail,10:3.50\n").replace("\n", "\r")
    job = imported(ops_client, db_session, rq_queue, ny, text)
    assert job.status is ImportStatus.DONE, job.errors
    assert (job.total_rows, job.created_count) == (2, 2)
    mac2 = db_session.scalar(select(Offer).where(Offer.supplier_id == ny.id, Offer.supplier_sku == "MAC-2"))
    assert (mac2.unit_price_minor, mac2.stock, mac2.price_tiers) == (400, 20, [{"min_quantity": 10, "unit_minor": 350}])


def test_a_cell_too_long_for_the_parser_is_reported_on_its_row(client, make_user, login, catalog, db_session,
                                                                rq_queue):
    import csv

    login(client, make_user(role=None, staff_role="ops", language="en"))
    s = catalog.comparison_scenario()
    ny, gtin = s["suppliers"][1], s["product"].gtin
    before = db_session.scalar(select(func.count(Offer.id)))
    long_cell = "10:1.00;" * (csv.field_size_limit() // 8 + 1)
    text = HEADER + f"OK-1,{gtin},3.00,10,5,1,retail,\nLONG-1,{gtin},3.00,10,5,1,retail,{long_cell}\n"
    job = imported(client, db_session, rq_queue, ny, text)
    assert job.status is ImportStatus.REJECTED
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "")]
    assert db_session.scalar(select(func.count(Offer.id))) == before
    html = client.get(f"/ops/catalog/imports/{job.id}").get_data(as_text=True)
    assert "A cell in this row is longer than 131,072 characters. The rows after it were not read." in html
    assert "1 problem found" in html and 'data-row="3"' in html
    client.post("/language", data={"language": "zh_CN", "next": "/"})
    html = client.get(f"/ops/catalog/imports/{job.id}").get_data(as_text=True)
    assert "此行有单元格超过 131,072 个字符" in html


# --- Redis down while a price list is uploaded ---------------------------------------------------

def test_an_upload_while_redis_is_down_is_accepted_and_imported_once_it_is_back(ops_client, catalog, db_session,
                                                                                use_config, throwaway_redis, app):
    from datetime import timedelta

    from redis import Redis
    from rq import Queue
    from sqlalchemy import update

    from app.catalog.jobs import import_key
    from app.core import jobs
    from app.core.jobs import Intent, IntentStatus
    from app.core.models import utcnow

    s = catalog.comparison_scenario()
    ny, gtin = s["suppliers"][1], s["product"].gtin
    redis = throwaway_redis()
    redis.stop()
    use_config(REDIS_URL=redis.url)
    r = upload(ops_client, ny.id, HEADER + f"DOWN-1,{gtin},12.00,10,5,1,retail,\n")
    assert r.status_code == 303, "accepted: nobody is told to upload again"
    waiting = ops_client.get(r.headers["Location"])
    assert waiting.status_code == 200 and "Waiting for a worker" in waiting.get_data(as_text=True)
    job = db_session.scalar(select(PriceListImport).order_by(PriceListImport.id.desc()))
    assert job.status is ImportStatus.QUEUED and jobs.status_of(import_key(job.id)) == IntentStatus.PENDING

    redis.start()
    db_session.execute(update(Intent).where(Intent.key == import_key(job.id))
                       .values(run_after=utcnow() - timedelta(minutes=2)))
    queue = Queue(app.config["RQ_QUEUE"], connection=Redis.from_url(redis.url))
    assert jobs.sweep() == 1 and len(queue) == 1
    run_worker(queue)
    db_session.refresh(job)
    assert job.status is ImportStatus.DONE and job.created_count == 1
    assert db_session.scalar(select(func.count(Offer.id)).where(Offer.supplier_sku == "DOWN-1")) == 1
    assert jobs.sweep() == 0, "imported once: nothing left to sweep"
