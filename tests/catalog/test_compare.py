"""The comparison page and its JSON twin: ranking, greyed offers, the recommendation, query count."""
from __future__ import annotations

import re
from datetime import timedelta

from app.catalog.services import today


def rows(html: str) -> list[str]:
    """Offer ids in table order."""
    table = html[html.index("<tbody>"):html.index("</tbody>")]
    return re.findall(r'<tr data-offer="(\d+)"', table)


def recommended(html: str) -> str:
    return re.search(r'<h2>[^<]*<span data-offer="(\d+)">', html).group(1)


def test_recommendation_changes_with_quantity(buyer_client, catalog):
    s = catalog.comparison_scenario()
    o = s["offers"]
    url = f"/catalog/products/{s['product'].id}/compare"

    one = buyer_client.get(url + "?quantity=1").get_data(as_text=True)
    assert recommended(one) == str(o["tokyo"].id)
    # Tokyo ¥61.53 landed a unit against Paris ¥67.19, the next cheapest offer
    assert "¥5.66 cheaper per unit than the next cheapest offer (巴黎 Paris)" in one
    assert "¥61.53" in one

    ten = buyer_client.get(url + "?quantity=10").get_data(as_text=True)
    assert recommended(ten) == str(o["ny"].id)
    # New York's 10-unit tier: $4.00 → ¥34.46 landed a unit, ¥27.07 below Tokyo's ¥61.53
    assert "¥27.07 cheaper per unit than the next cheapest offer (东京优品 Tokyo)" in ten
    assert "¥344.57" in ten  # landed total for 10 units


def test_offers_that_cannot_serve_are_greyed_with_the_reason(buyer_client, catalog):
    s = catalog.comparison_scenario()
    o = s["offers"]
    needed_by = (today() + timedelta(days=5)).isoformat()
    html = buyer_client.get(f"/catalog/products/{s['product'].id}/compare?quantity=10&needed_by={needed_by}").get_data(as_text=True)
    grey = dict(re.findall(r'<tr data-offer="(\d+)" class="cannot[^"]*">(.*?)</tr>', html, re.S))
    assert set(grey) == {str(o["ny"].id), str(o["seoul"].id), str(o["paris"].id)}
    assert "Arrives 4 days after your date." in grey[str(o["ny"].id)]
    assert "Minimum order is 12 units." in grey[str(o["seoul"].id)]
    assert "Only 3 units in stock." in grey[str(o["paris"].id)]
    # Only Tokyo can serve: it is recommended and the sentence counts the days to spare
    assert recommended(html) == str(o["tokyo"].id)
    assert "The only offer that can serve this need, at ¥61.53 per unit landed and arrives 1 day before your date." in html
    assert rows(html)[0] == str(o["tokyo"].id)


def test_weights_change_the_recommendation(buyer_client, catalog):
    s = catalog.comparison_scenario()
    o = s["offers"]
    url = f"/catalog/products/{s['product'].id}/compare?quantity=10"
    assert recommended(buyer_client.get(url).get_data(as_text=True)) == str(o["ny"].id)
    speed_first = buyer_client.get(url + "&w_cost=0&w_speed=100&w_reliability=0").get_data(as_text=True)
    assert recommended(speed_first) == str(o["tokyo"].id)


def test_sorting_and_htmx_fragment(buyer_client, catalog):
    s = catalog.comparison_scenario()
    o = s["offers"]
    url = f"/catalog/products/{s['product'].id}/compare?quantity=1&sort=lead"
    r = buyer_client.get(url, headers={"HX-Request": "true"})
    html = r.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<div id="compare">')
    assert "HX-Request" in r.headers["Vary"]
    # servable offers by lead time (Tokyo 4, Paris 6, New York 9), Seoul (MOQ 12) after them
    assert rows(html) == [str(o[k].id) for k in ("tokyo", "paris", "ny", "seoul")]
    desc = buyer_client.get(url + "&dir=desc").get_data(as_text=True)
    assert rows(desc) == [str(o[k].id) for k in ("ny", "paris", "tokyo", "seoul")]


def test_regime_need_greys_other_regime(buyer_client, catalog):
    s = catalog.comparison_scenario()
    html = buyer_client.get(f"/catalog/products/{s['product'].id}/compare?regime=general").get_data(as_text=True)
    assert "No offer can serve this need" in html
    assert "Ships only as Cross-border retail import." in html


def test_bad_need_input_is_explained_not_a_500(buyer_client, catalog):
    s = catalog.comparison_scenario()
    r = buyer_client.get(f"/catalog/products/{s['product'].id}/compare?quantity=abc&needed_by=2020-01-01&w_cost=500")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Enter a whole number from 1 to 1000000." in html
    assert "The date has passed." in html
    assert "Enter a whole number from 0 to 100." in html


def test_compare_requires_sign_in(client, catalog):
    s = catalog.comparison_scenario()
    r = client.get(f"/catalog/products/{s['product'].id}/compare")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    api = client.get(f"/api/v1/products/{s['product'].id}/offers")
    assert api.status_code == 401 and api.get_json()["error"]["field"] == "session"


def test_offers_json_matches_the_page(buyer_client, catalog):
    s = catalog.comparison_scenario()
    o = s["offers"]
    r = buyer_client.get(f"/api/v1/products/{s['product'].id}/offers?quantity=10")
    assert r.status_code == 200
    body = r.get_json()
    by_id = {row["offer_id"]: row for row in body["offers"]}
    assert body["recommendation"]["offer_id"] == o["ny"].id
    assert "27.07" in body["recommendation"]["reason"]
    ny = by_id[o["ny"].id]
    assert ny["unit_price_minor"] == 400 and ny["currency"] == "USD"
    assert ny["landed"]["landed_fen"] == 34_457 and ny["landed"]["unit_landed_fen"] == 3_446
    assert ny["recommended"] is True and ny["can_serve"] is True
    assert by_id[o["seoul"].id]["can_serve"] is False and by_id[o["seoul"].id]["reasons"] == ["moq"]
    assert by_id[o["paris"].id]["reasons"] == ["stock"]
    page = buyer_client.get(f"/catalog/products/{s['product'].id}/compare?quantity=10").get_data(as_text=True)
    assert sorted(rows(page)) == sorted(str(i) for i in by_id)


def test_offers_json_bad_quantity_and_unknown_product(buyer_client, catalog):
    s = catalog.comparison_scenario()
    r = buyer_client.get(f"/api/v1/products/{s['product'].id}/offers?quantity=0")
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "quantity"
    assert buyer_client.get("/api/v1/products/999999/offers").status_code == 404


def test_inactive_offer_and_supplier_are_left_out(buyer_client, catalog, db_session):
    s = catalog.comparison_scenario()
    s["offers"]["paris"].active = False
    s["suppliers"][1].active = False  # New York
    db_session.flush()
    html = buyer_client.get(f"/catalog/products/{s['product'].id}/compare").get_data(as_text=True)
    assert sorted(rows(html)) == sorted(str(s["offers"][k].id) for k in ("tokyo", "seoul"))


def test_sentence_never_hides_a_cheaper_offer_and_its_numbers_match_the_table(buyer_client, catalog):
    from decimal import Decimal

    from app.core.money import format_money

    product = catalog.product()
    slow = catalog.supplier(name="Slow 慢", currency="CNY", on_time_rate=Decimal("0.95"))
    fast = catalog.supplier(name="Fast 快", currency="CNY", on_time_rate=Decimal("0.95"))
    dear = catalog.supplier(name="Dear 贵", currency="CNY", on_time_rate=Decimal("0.95"))
    o_slow = catalog.offer(product, slow, unit_price_minor=10_000, lead_time_days=30)
    o_fast = catalog.offer(product, fast, unit_price_minor=10_500, lead_time_days=2)
    catalog.offer(product, dear, unit_price_minor=12_000, lead_time_days=3)
    body = buyer_client.get(f"/api/v1/products/{product.id}/offers?quantity=1").get_json()
    units = {o["offer_id"]: o["landed"]["unit_landed_fen"] for o in body["offers"]}
    assert body["recommendation"]["offer_id"] == o_fast.id
    reason = body["recommendation"]["reason"]
    more = format_money(units[o_fast.id] - units[o_slow.id])
    assert "cheaper" not in reason
    assert reason.startswith(f"Arrives 28 days sooner than the cheapest offer (Slow 慢), for {more} more per unit")
    html = buyer_client.get(f"/catalog/products/{product.id}/compare?quantity=1").get_data(as_text=True)
    assert reason in html
