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
