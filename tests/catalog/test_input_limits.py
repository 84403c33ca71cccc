"""Numbers at every entry point: negative tier prices, upper bounds, non-ASCII digits, overflow."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.catalog.forms import parse_tiers
from app.catalog.landed_cost import LandedCostError, PriceTier, TaxRates, compute
from app.catalog.models import ImportStatus, Offer, PriceListImport
from app.catalog.numbers import NumberError
from app.catalog.services import today
from tests.catalog.test_ops import HEADER, rq_queue, run_worker, upload  # noqa: F401  (fixture)


def offer_form(offer, product, **kw):
    form = {"supplier_id": str(offer.supplier_id), "product_id": str(product.id), "supplier_sku": offer.supplier_sku,
            "unit_price": "5.00", "price_tiers": "", "moq": "1", "order_increment": "1", "stock": "500",
            "shipping_base": "0", "shipping_per_unit": "0", "shipping_free_over": "", "insurance_rate": "0",
            "lead_time_days": "9", "regime": "retail", "valid_from": today().isoformat(), "valid_to": ""}
    form.update(kw)
    return form


def import_errors(client, db_session, queue, supplier, text):
    upload(client, supplier.id, text)
    run_worker(queue)
    job = db_session.scalar(select(PriceListImport).order_by(PriceListImport.id.desc()))
    db_session.refresh(job)
    return job


# --- 1. negative tier prices ------------------------------------------------------------------

def test_negative_tier_price_is_refused_by_the_parser():
    with pytest.raises(NumberError):
        parse_tiers("3:-1", "USD")
    assert parse_tiers("3:0; 10:1.50", "USD") == [{"min_quantity": 3, "unit_minor": 0},
                                                 {"min_quantity": 10, "unit_minor": 150}]


def test_landed_cost_checks_the_tier_charged_not_only_the_base_price():
    kw = dict(currency="USD", unit_price_minor=1000, fx_rate=Decimal("7"), rates=TaxRates(vat=Decimal("0.13")),
              regime="retail", tiers=[PriceTier(3, -100)])
    assert compute(quantity=2, **kw).landed_fen > 0
    with pytest.raises(LandedCostError) as e:
        compute(quantity=3, **kw)
    assert e.value.field == "price_tiers"


def test_ops_form_refuses_a_negative_tier(ops_client, catalog, db_session):
    s = catalog.comparison_scenario()
    ny = s["offers"]["ny"]
    r = ops_client.post(f"/ops/catalog/offers/{ny.id}/edit", data=offer_form(ny, s["product"], price_tiers="3:-1"))
    assert r.status_code == 422
    assert "The tier price for 3 units must be an amount from 0" in r.get_data(as_text=True)
    db_session.refresh(ny)
    assert ny.price_tiers == [{"min_quantity": 10, "unit_minor": 400}]


def test_stored_negative_tier_is_never_recommended(buyer_client, catalog):
    s = catalog.comparison_scenario()
    ny = s["offers"]["ny"]
    ny.price_tiers = [{"min_quantity": 3, "unit_minor": -100}]
    catalog.session.flush()
    body = buyer_client.get(f"/api/v1/products/{s['product'].id}/offers?quantity=3").get_json()
    row = next(o for o in body["offers"] if o["offer_id"] == ny.id)
    assert row["can_serve"] is False and row["reasons"] == ["invalid"] and not row["recommended"]
    assert body["recommendation"]["offer_id"] != ny.id


def test_csv_negative_tier_is_a_row_error(ops_client, catalog, db_session, rq_queue):
    s = catalog.comparison_scenario()
    tokyo, gtin = s["suppliers"][0], s["product"].gtin
    job = import_errors(ops_client, db_session, rq_queue, tokyo, HEADER + f"T-1,{gtin},1200,10,5,1,retail,3:-1\n")
    assert job.status is ImportStatus.REJECTED
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "tiers")]
