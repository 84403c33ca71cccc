"""Numbers at every entry point: negative tier prices, upper bounds, non-ASCII digits, overflow."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.catalog.forms import parse_tiers
from app.catalog.landed_cost import LandedCostError, PriceTier, TaxRates, compute
from app.catalog.models import ImportStatus, Offer, PriceListImport
from app.core.numbers import NumberError
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


# --- 2. one set of upper bounds ---------------------------------------------------------------

@pytest.mark.parametrize("field,value,message", [
    ("unit_price", "1e30", "Enter a number such as 12.50"),
    ("unit_price", "1e999999999", "Enter a number such as 12.50"),
    ("unit_price", "10000000001", "Enter at most 10,000,000,000."),
    ("shipping_base", "1e20", "Enter a number such as 12.50"),
    ("stock", "99999999999", "Enter a whole number from 0 to 2,147,483,647."),
    ("moq", "99999999999", "Enter a whole number from 1 to 2,147,483,647."),
    ("price_tiers", "10:1e30", "The tier price for 10 units must be an amount from 0 to 10,000,000,000.00 USD"),
    ("price_tiers", "10:10000000000.01", "The tier price for 10 units"),
])
def test_offer_form_refuses_amounts_and_counts_out_of_range(ops_client, catalog, db_session, field, value, message):
    s = catalog.comparison_scenario()
    ny = s["offers"]["ny"]
    r = ops_client.post(f"/ops/catalog/offers/{ny.id}/edit", data=offer_form(ny, s["product"], **{field: value}))
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    db_session.refresh(ny)
    assert (ny.unit_price_minor, ny.stock, ny.moq) == (800, 500, 1)


def test_largest_amounts_are_saved_and_the_pages_still_answer(ops_client, catalog, db_session):
    s = catalog.comparison_scenario()
    ny, product = s["offers"]["ny"], s["product"]
    r = ops_client.post(f"/ops/catalog/offers/{ny.id}/edit", data=offer_form(
        ny, product, unit_price="10000000000", price_tiers="10:10000000000", stock="2147483647", moq="1"))
    assert r.status_code == 303
    db_session.refresh(ny)
    assert ny.unit_price_minor == 10 ** 12 and ny.stock == 2 ** 31 - 1
    assert ops_client.get(f"/catalog/products/{product.id}/compare?quantity=10").status_code == 200
    body = ops_client.get(f"/api/v1/products/{product.id}/offers?quantity=1000000").get_json()
    row = next(o for o in body["offers"] if o["offer_id"] == ny.id)
    assert row["can_serve"] is False and row["reasons"] == ["invalid"]


def test_stored_huge_tier_does_not_break_the_comparison(buyer_client, catalog):
    s = catalog.comparison_scenario()
    s["offers"]["ny"].price_tiers = [{"min_quantity": 10, "unit_minor": 10 ** 32}]
    catalog.session.flush()
    pid = s["product"].id
    assert buyer_client.get(f"/catalog/products/{pid}/compare?quantity=10").status_code == 200
    body = buyer_client.get(f"/api/v1/products/{pid}/offers?quantity=10").get_json()
    assert body["recommendation"]["offer_id"] != s["offers"]["ny"].id


def test_csv_out_of_range_values_are_listed_row_by_row(ops_client, catalog, db_session, rq_queue):
    s = catalog.comparison_scenario()
    ny, gtin = s["suppliers"][1], s["product"].gtin
    text = HEADER + "\n".join([
        f"B-1,{gtin},1e30,10,5,1,retail,",              # 2 unit_price
        f"B-2,{gtin},1e999999999,10,5,1,retail,",       # 3 unit_price (decimal.Overflow before)
        f"B-3,{gtin},1.00,99999999999,5,1,retail,",     # 4 stock
        f"B-4,{gtin},1.00,10,99999,1,retail,",          # 5 lead_time_days over 365
        f"B-5,{gtin},1.00,10,5,99999999999,retail,",    # 6 moq
        f"B-6,{gtin},1.00,10,5,1,retail,10:1e30",       # 7 tiers
        f"B-7,{gtin},10000000000.01,10,5,1,retail,",    # 8 unit_price over 10^12 cents
    ]) + "\n"
    job = import_errors(ops_client, db_session, rq_queue, ny, text)
    assert job.status is ImportStatus.REJECTED
    assert [(e["row"], e["column"]) for e in job.errors] == [
        (2, "unit_price"), (3, "unit_price"), (4, "stock"), (5, "lead_time_days"), (6, "moq"), (7, "tiers"),
        (8, "unit_price")]
    html = ops_client.get(f"/ops/catalog/imports/{job.id}").get_data(as_text=True)
    assert "Enter a whole number from 0 to 365." in html


def test_csv_duplicate_header_is_refused(ops_client, catalog, db_session, rq_queue):
    s = catalog.comparison_scenario()
    ny, gtin = s["suppliers"][1], s["product"].gtin
    text = "supplier_sku,gtin,unit_price,stock,lead_time_days,unit_price\n" + f"D-1,{gtin},1.00,10,5,2.00\n"
    job = import_errors(ops_client, db_session, rq_queue, ny, text)
    assert job.status is ImportStatus.REJECTED
    assert [(e["row"], e["column"]) for e in job.errors] == [(1, "unit_price")]
    assert "column appears more than once" in ops_client.get(f"/ops/catalog/imports/{job.id}").get_data(as_text=True)
    assert db_session.scalar(select(func.count(Offer.id)).where(Offer.supplier_sku == "D-1")) == 0


# --- 4. ASCII digits only ---------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/api/v1/landed-cost?unit_price=1&currency=CNY&quantity=²",
    "/api/v1/landed-cost?unit_price=٣&currency=CNY&quantity=1",
])
def test_api_refuses_non_ascii_digits(client, path):
    r = client.get(path)
    assert r.status_code == 400 and r.get_json()["error"]["field"] in ("quantity", "unit_price")


def test_pages_refuse_non_ascii_digits(buyer_client, catalog):
    s = catalog.comparison_scenario()
    pid = s["product"].id
    page = buyer_client.get("/landed-cost?unit_price=1&currency=CNY&quantity=²")
    assert page.status_code == 200 and "Enter a whole number of at least 1." in page.get_data(as_text=True)
    search = buyer_client.get("/catalog?after=².1&shown=²")  # a bad cursor shows the first page
    assert search.status_code == 200 and "雪花秀保湿面霜" in search.get_data(as_text=True)
    compare = buyer_client.get(f"/catalog/products/{pid}/compare?quantity=²")
    assert compare.status_code == 200 and "Enter a whole number from 1 to 1000000." in compare.get_data(as_text=True)
    api = buyer_client.get(f"/api/v1/products/{pid}/offers?quantity=²")
    assert api.status_code == 400 and api.get_json()["error"]["field"] == "quantity"
    assert buyer_client.get(f"/api/v1/products/{pid}/offers?quantity=٣").status_code == 400


def test_ops_pages_refuse_non_ascii_digits(ops_client, catalog, db_session, rq_queue):
    s = catalog.comparison_scenario()
    assert ops_client.get("/ops/catalog/offers?page=²").status_code == 200
    assert ops_client.get("/ops/catalog/offers?product_id=²").status_code == 200
    assert ops_client.get("/ops/catalog/offers/new?product_id=²").status_code == 200
    ny = s["offers"]["ny"]
    r = ops_client.post(f"/ops/catalog/offers/{ny.id}/edit", data=offer_form(ny, s["product"], price_tiers="²:5"))
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Write tiers as quantity:price" in html and "invalid literal" not in html
    r = ops_client.post(f"/ops/catalog/offers/{ny.id}/edit", data=offer_form(ny, s["product"], stock="٣"))
    assert r.status_code == 422 and "Enter a whole number using the digits 0 to 9." in r.get_data(as_text=True)
    r = ops_client.post("/ops/catalog/products/new", data={"gtin": "²²²²²²²²"})
    assert r.status_code == 422
    job = import_errors(ops_client, db_session, rq_queue, s["suppliers"][1],
                        HEADER + f"U-1,{s['product'].gtin},1.00,²,5,1,retail,\n")
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "stock")]


# --- 5. huge results in the landed-cost API and page ------------------------------------------

def test_api_refuses_an_order_too_large_to_count_exactly(client):
    url = "/api/v1/landed-cost?unit_price=1000000000&currency=USD&quantity=1000000&fx_rate=100000"
    r = client.get(url)
    assert r.status_code == 400
    assert r.get_json()["error"]["field"] == "quantity"
    assert r.get_json()["error"]["message"] == "订单金额过大，无法计算（完税价格最多 ¥100,000,000,000）。"
    client.set_cookie("kj_lang", "en")
    assert "too large" in client.get(url).get_json()["error"]["message"]
    # the largest order allowed still answers exactly (a JSON number every client reads exactly)
    ok = client.get("/api/v1/landed-cost?unit_price=10000000000&currency=CNY&quantity=10&fx_rate=1&vat_rate=0")
    assert ok.status_code == 200 and ok.get_json()["landed_fen"] == 10 ** 13


def test_consumption_tax_rate_near_one_is_costed_or_refused_never_500(client):
    body = client.get("/api/v1/landed-cost?unit_price=100&currency=CNY&quantity=1&regime=general"
                      "&vat_rate=0&consumption_tax_rate=0.9999").get_json()
    # (10,000 fen ÷ 0.0001) × 0.9999 = 99,990,000 fen
    assert body["consumption_tax_fen"] == 99_990_000
    r = client.get("/api/v1/landed-cost?unit_price=10000000000&currency=CNY&quantity=1&regime=general"
                   "&consumption_tax_rate=0.9999")
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "consumption_tax_rate"


@pytest.mark.parametrize("param, value", [("vat_rate", "0.123456789"), ("consumption_tax_rate", "0.15001"),
                                          ("fx_rate", "7.123456789123"), ("fx_rate", "100001")])
def test_the_api_reads_rates_through_the_same_bounded_parsers_as_the_forms(client, param, value):
    # Before: the API took any number of decimals, which the operations forms refuse.
    r = client.get(f"/api/v1/landed-cost?unit_price=100&currency=USD&quantity=1&{param}={value}"
                   + ("" if param == "fx_rate" else "&fx_rate=7.1"))
    assert r.status_code == 400
    error = r.get_json()["error"]
    assert error["field"] == param and error["code"] == "invalid"
    assert error["message"] in ("最多保留 4 位小数。", "最多保留 8 位小数。", "最大为 100,000。")


def test_rate_with_sixty_nines_is_refused_by_name():
    rate = Decimal("0." + "9" * 60)
    with pytest.raises(LandedCostError) as e:
        compute(currency="CNY", unit_price_minor=100, quantity=1, fx_rate=Decimal(1), regime="general",
                rates=TaxRates(vat=Decimal("0.13"), consumption=rate))
    assert e.value.field == "consumption_tax_rate"


def test_calculator_page_with_a_near_one_rate_answers(client):
    client.set_cookie("kj_lang", "en")
    small = client.get("/landed-cost?unit_price=100&currency=CNY&quantity=1&consumption_tax_rate=0.9999")
    assert small.status_code == 200 and "¥791,030.00" in small.get_data(as_text=True)
    r = client.get("/landed-cost?unit_price=10000000000&currency=CNY&quantity=1&consumption_tax_rate=0.9999")
    assert r.status_code == 200
    assert "The taxes at this rate are too large to cost; check the rate." in r.get_data(as_text=True)


# --- 6. decimal.Overflow in the search and need filters ---------------------------------------

def test_filters_with_exponents_are_field_errors(buyer_client, catalog):
    s = catalog.comparison_scenario()
    pid = s["product"].id
    search = buyer_client.get("/catalog?min_price=1e99999999")
    assert search.status_code == 200 and "Enter an amount in yuan, such as 199 or 1200.50." in search.get_data(as_text=True)
    compare = buyer_client.get(f"/catalog/products/{pid}/compare?ytd_cny=1e99999999")
    assert compare.status_code == 200 and "Enter an amount in yuan, such as 1200.50." in compare.get_data(as_text=True)
    for ytd in ("1e99999999", "99999999999999999999"):
        api = buyer_client.get(f"/api/v1/products/{pid}/offers?ytd_cny={ytd}")
        assert api.status_code == 400 and api.get_json()["error"]["field"] == "ytd_cny"


# --- 7. NUL bytes in a CSV upload -------------------------------------------------------------

def test_upload_with_nul_bytes_is_a_file_error(ops_client, catalog, db_session, rq_queue):
    s = catalog.comparison_scenario()
    gtin = s["product"].gtin
    r = upload(ops_client, s["suppliers"][1].id, HEADER + f"N-1,{gtin},1.00,10,5,1,retail,\x00\n")
    assert r.status_code == 422
    assert "The file contains NUL characters" in r.get_data(as_text=True)
    assert len(rq_queue) == 0 and db_session.scalar(select(func.count(PriceListImport.id))) == 0


def test_importer_refuses_nul_bytes_itself(catalog):
    from app.catalog import importer

    s = catalog.comparison_scenario()
    checked = importer.check(HEADER + "N-1,\x00,1.00,10,5,1,retail,\n", s["suppliers"][1], today())
    assert [(e["row"], e["column"]) for e in checked.errors] == [(1, "")] and checked.rows == []


# --- 8. offer for a product that does not exist -----------------------------------------------

def test_offer_for_a_missing_product_is_a_field_error(ops_client, catalog, db_session):
    s = catalog.comparison_scenario()
    ny = s["offers"]["ny"]
    form = offer_form(ny, s["product"], product_id="999999", supplier_sku="NEW-SKU")
    r = ops_client.post("/ops/catalog/offers/new", data=form)
    assert r.status_code == 422
    assert "There is no product with this number." in r.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Offer.id)).where(Offer.supplier_sku == "NEW-SKU")) == 0


# --- 10. supplier currency under existing offers ----------------------------------------------

def supplier_form(supplier, **kw):
    form = {"name": supplier.name, "country": supplier.country, "fulfilment": supplier.fulfilment.value,
            "currency": supplier.currency, "lead_min_days": "3", "lead_max_days": "10", "on_time_rate": "95",
            "rating": "4.5"}
    form.update(kw)
    return form


def test_supplier_currency_cannot_change_while_it_has_offers(ops_client, catalog, db_session):
    s = catalog.comparison_scenario()
    ny = s["suppliers"][1]
    r = ops_client.post(f"/ops/catalog/suppliers/{ny.id}/edit", data=supplier_form(ny, currency="JPY"))
    assert r.status_code == 422
    assert "This supplier has offers priced in its current currency" in r.get_data(as_text=True)
    db_session.refresh(ny)
    assert ny.currency == "USD"
    lonely = catalog.supplier(currency="USD")
    r = ops_client.post(f"/ops/catalog/suppliers/{lonely.id}/edit", data=supplier_form(lonely, currency="EUR"))
    assert r.status_code == 303
    db_session.refresh(lonely)
    assert lonely.currency == "EUR"


# --- 9. rates with more decimals than are stored ----------------------------------------------

def test_rates_with_too_many_decimals_are_refused_not_rounded(ops_client, catalog, db_session, rq_queue):
    from app.catalog.models import FxRate, TaxCategory

    # typed as percentages: 2 decimal places of the percentage are the 4 the database keeps
    cat = {"code": "five_places", "name_zh": "五位", "name_en": "Five places", "vat_rate": "12.345",
           "consumption_rate": "0", "tariff_rate": "0"}
    r = ops_client.post("/ops/catalog/tax-categories/new", data=cat)
    assert r.status_code == 422 and "Use at most 2 decimal places." in r.get_data(as_text=True)
    assert db_session.scalar(select(func.count(TaxCategory.id)).where(TaxCategory.code == "five_places")) == 0
    assert ops_client.post("/ops/catalog/tax-categories/new", data=dict(cat, vat_rate="12.340")).status_code == 303

    fx = {"currency": "GBP", "rate": "7.123456789123", "day": today().isoformat()}
    r = ops_client.post("/ops/catalog/fx-rates/new", data=fx)
    assert r.status_code == 422 and "Use at most 8 decimal places." in r.get_data(as_text=True)
    assert db_session.scalar(select(func.count(FxRate.id)).where(FxRate.currency == "GBP")) == 0

    s = catalog.comparison_scenario()
    ny = s["offers"]["ny"]
    r = ops_client.post(f"/ops/catalog/offers/{ny.id}/edit", data=offer_form(ny, s["product"], insurance_rate="0.125"))
    assert r.status_code == 422 and "Use at most 2 decimal places." in r.get_data(as_text=True)

    text = ("supplier_sku,gtin,unit_price,stock,lead_time_days,insurance_rate\n"
            f"R-1,{s['product'].gtin},1.00,10,5,0.00125\n")
    job = import_errors(ops_client, db_session, rq_queue, s["suppliers"][1], text)
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "insurance_rate")]
    assert "Use at most 4 decimal places." in ops_client.get(f"/ops/catalog/imports/{job.id}").get_data(as_text=True)


# --- 12. the calculator page is rate limited like the API -------------------------------------

def test_calculator_page_shares_the_api_rate_limit(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "CATALOG_API_LIMIT", "3 per minute")
    client.set_cookie("kj_lang", "en")
    page = "/landed-cost?unit_price=1&currency=CNY&quantity=1"
    assert [client.get(page).status_code for _ in range(3)] == [200, 200, 200]
    r = client.get(page)
    assert r.status_code == 429 and "Too many attempts in a short time. Please try again in" in r.get_data(as_text=True)
    # the page and the API are one calculator: the page's use counts against the API too
    assert client.get("/api/v1/landed-cost?unit_price=1&currency=CNY&quantity=1").status_code == 429


def test_new_messages_read_in_chinese(client, make_user, login, catalog, db_session, rq_queue):
    login(client, make_user(role=None, staff_role="ops", language="zh_CN"))
    s = catalog.comparison_scenario()
    ny, gtin = s["suppliers"][1], s["product"].gtin
    job = import_errors(client, db_session, rq_queue, ny, HEADER + f"C-1,{gtin},1.00,²,99999,1,retail,3:-1\n")
    html = client.get(f"/ops/catalog/imports/{job.id}").get_data(as_text=True)
    assert "阶梯价须为 0 至 10,000,000,000.00 USD 之间的金额" in html
    r = client.post(f"/ops/catalog/suppliers/{ny.id}/edit", data=supplier_form(ny, currency="JPY"))
    assert "不能更改币种" in r.get_data(as_text=True)
