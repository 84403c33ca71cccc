"""Orders over the API: placed (idempotently), listed, read and cancelled; strict bodies; one company each."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.orders.models import Order
from app.payments import services as pay
from app.payments.models import Attempt, Charge
from tests.api.conftest import lines
from tests.orders.conftest import make_consignee


def _orders(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Order))


def test_an_order_comes_back_whole(api, shop, buyer, db_session):
    r = api.post("/api/v1/orders", json=lines((shop.cny_offer, 2), (shop.usd_offer, 1)))
    assert r.status_code == 201
    order = r.get_json()
    stored = db_session.get(Order, order["id"])
    assert order["number"] == stored.number and order["state"] == "pending_payment"
    assert order["currency"] == "CNY" and order["total_fen"] == 21_820 + 15_274 == stored.total_fen
    assert order["out_trade_no"] == stored.number, "before any prepay WeChat knows the order by its number"
    assert order["expires_at"] == stored.expires_at.isoformat() and order["payments"] == []
    cny, usd = order["lines"]
    assert cny == {"id": stored.lines[0].id, "offer_id": shop.cny_offer.id, "product_id": shop.product.id, "product": "保湿面霜",
                   "supplier": shop.cny_offer.supplier.name, "quantity": 2, "goods_fen": 20_000,
                   "shipping_fen": 0, "insurance_fen": 0, "tax_fen": 1_820, "landed_fen": 21_820}
    assert (usd["goods_fen"], usd["shipping_fen"], usd["tax_fen"], usd["landed_fen"]) == (10_500, 3_500, 1_274, 15_274)
    english = api.get(f"/api/v1/orders/{order['id']}", headers={"Accept-Language": "en"}).get_json()
    assert english["lines"][0]["product"] == "Moisturising cream"
    assert english == {**order, "lines": english["lines"]}


def test_an_order_goes_to_the_consignee_asked_for(api, shop, buyer, db_session):
    other = make_consignee(buyer, name="李四")
    r = api.post("/api/v1/orders", json={**lines((shop.cny_offer, 1)), "consignee_id": other.id})
    assert r.status_code == 201
    assert db_session.get(Order, r.get_json()["id"]).consignee_name == "李四"


def test_someone_elses_consignee_is_refused(api, shop, make_user, db_session):
    stranger = make_user(role="owner")
    theirs = make_consignee(stranger, name="陌生人")
    r = api.post("/api/v1/orders", json={**lines((shop.cny_offer, 1)), "consignee_id": theirs.id})
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "consignee_id"
    assert _orders(db_session) == 0


@pytest.mark.parametrize("body, field", [
    (None, "body"),
    ([{"offer_id": 1, "quantity": 1}], "body"),
    ({}, "lines"),
    ({"lines": []}, "lines"),
    ({"lines": {"offer_id": 1}}, "lines"),
    ({"lines": [{"offer_id": 1, "quantity": 1}] * 51}, "lines"),
    ({"lines": ["offer 1"]}, "lines[0]"),
    ({"lines": [{"quantity": 1}]}, "lines[0].offer_id"),
    ({"lines": [{"offer_id": "OFFER", "quantity": 1}]}, "lines[0].offer_id"),
    ({"lines": [{"offer_id": 2**31, "quantity": 1}]}, "lines[0].offer_id"),
    ({"lines": [{"offer_id": "{cny}", "quantity": 0}]}, "lines[0].quantity"),
    ({"lines": [{"offer_id": "{cny}", "quantity": 1_000_001}]}, "lines[0].quantity"),
    ({"lines": [{"offer_id": "{cny}", "quantity": 1.5}]}, "lines[0].quantity"),
    ({"lines": [{"offer_id": "{cny}", "quantity": "2"}]}, "lines[0].quantity"),
    ({"lines": [{"offer_id": "{cny}", "quantity": True}]}, "lines[0].quantity"),
    ({"lines": [{"offer_id": "{cny}", "quantity": -3}]}, "lines[0].quantity"),
    ({"lines": [{"offer_id": "{cny}", "quantity": 1}, {"offer_id": "{cny}", "qty": 1}]}, "lines[1].qty"),
    ({"lines": [{"offer_id": "{cny}", "quantity": 1}], "coupon": "FREE"}, "coupon"),
    ({"lines": [{"offer_id": "{cny}", "quantity": 1}], "consignee_id": "mine"}, "consignee_id"),
    ({"lines": [{"offer_id": "{cny}", "quantity": 1}], "consignee_id": 0}, "consignee_id"),
])
def test_a_bad_body_is_400_naming_the_bad_part_and_writes_nothing(api, shop, db_session, body, field):
    def fill(value):
        if value == "{cny}":
            return shop.cny_offer.id
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    r = api.post("/api/v1/orders", json=fill(body)) if body is not None else api.post("/api/v1/orders", data="{oops")
    assert r.status_code == 400, r.get_json()
    error = r.get_json()["error"]
    assert error["field"] == field and error["code"] == "invalid" and error["message"]
    assert _orders(db_session) == 0 and db_session.scalar(select(func.count()).select_from(Charge)) == 0


def test_a_bad_quantity_says_what_is_allowed_in_the_callers_language(api, shop):
    body = {"lines": [{"offer_id": shop.cny_offer.id, "quantity": 0}]}
    assert api.post("/api/v1/orders", json=body).get_json() == {"error": {
        "code": "invalid", "field": "lines[0].quantity", "message": "请输入 1 到 1,000,000 之间的整数。"}}
    english = api.post("/api/v1/orders", json=body, headers={"Accept-Language": "en"}).get_json()
    assert english["error"]["message"] == "Enter a whole number from 1 to 1,000,000."


@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"lines": [{"offer_id": 1' + b"0" * 5_000 + b', "quantity": 1}]}',
                                 b'{"lines": NaN}', b"\xff\xfe", b"x" * 70_000])
def test_garbage_bodies_are_400_never_500(api, db_session, raw):
    r = api.post("/api/v1/orders", data=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.get_json()["error"]["field"] in ("body", "lines")
    assert _orders(db_session) == 0


def test_what_the_rules_refuse_is_422_with_the_services_code(api, shop, db_session):
    mixed = api.post("/api/v1/orders", json=lines((shop.cny_offer, 1), (shop.general_offer, 1)))
    assert mixed.status_code == 422 and mixed.get_json()["error"]["code"] == "mixed_regimes"
    unknown = api.post("/api/v1/orders", json={"lines": [{"offer_id": 2**31 - 1, "quantity": 1}]})
    assert unknown.status_code == 404 and unknown.get_json()["error"]["field"] == "offer_id"
    assert _orders(db_session) == 0


def test_a_retry_with_the_same_idempotency_key_gets_the_same_order(api, shop, db_session):
    key = {"Idempotency-Key": "erp-po-4711"}
    first = api.post("/api/v1/orders", json=lines((shop.cny_offer, 2)), headers=key)
    again = api.post("/api/v1/orders", json=lines((shop.cny_offer, 2)), headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert _orders(db_session) == 1
    other = api.post("/api/v1/orders", json=lines((shop.cny_offer, 3)), headers=key)
    assert other.status_code == 409
    assert other.get_json()["error"] == {"code": "conflict", "field": "Idempotency-Key",
                                         "message": "该 Idempotency-Key 已用于另一个请求。"}
    assert _orders(db_session) == 1
    assert api.post("/api/v1/orders", json=lines((shop.cny_offer, 2))).status_code == 201, "no key: a new order"
    assert _orders(db_session) == 2


@pytest.mark.parametrize("key", ["", "x" * 101, "订单-1", "tab\there"])
def test_a_bad_idempotency_key_is_400(api, shop, db_session, key):
    r = api.post("/api/v1/orders", json=lines((shop.cny_offer, 1)), headers={"Idempotency-Key": key})
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "Idempotency-Key"
    assert _orders(db_session) == 0


def test_keys_belong_to_a_company(api, api_as, shop, make_user):
    key = {"Idempotency-Key": "po-1"}
    mine = api.post("/api/v1/orders", json=lines((shop.cny_offer, 1)), headers=key).get_json()
    stranger = make_user(role="owner")
    make_consignee(stranger)
    theirs = api_as(stranger).post("/api/v1/orders", json=lines((shop.cny_offer, 1)), headers=key)
    assert theirs.status_code == 201 and theirs.get_json()["id"] != mine["id"]


def test_another_companys_token_gets_404_on_every_order_url(api, api_as, shop, make_user, db_session):
    order = api.post("/api/v1/orders", json=lines((shop.cny_offer, 1))).get_json()
    stranger = make_user(role="owner")
    make_consignee(stranger)
    theirs = api_as(stranger)
    for r in (theirs.get(f"/api/v1/orders/{order['id']}"),
              theirs.post(f"/api/v1/orders/{order['id']}/prepay", json={"trade_type": "NATIVE"}),
              theirs.post(f"/api/v1/orders/{order['id']}/cancel")):
        assert r.status_code == 404
        assert r.get_json()["error"]["code"] == "not_found" and r.get_json()["error"]["field"] == "order_id"
    assert theirs.get("/api/v1/orders").get_json() == {"items": [], "next_cursor": None}
    assert db_session.get(Order, order["id"]).state.value == "pending_payment"


def test_the_list_pages_newest_first_to_the_end(api, shop, count_queries):
    made = [api.post("/api/v1/orders", json=lines((shop.general_offer, 1))).get_json()["id"] for _ in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        r = api.get("/api/v1/orders?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status_code == 200
        body = r.get_json()
        seen += [o["id"] for o in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == made[::-1] and pages == 3


def test_a_page_costs_the_same_queries_however_many_orders_it_shows(api, shop, count_queries, wechat):
    first = api.post("/api/v1/orders", json=lines((shop.general_offer, 1))).get_json()
    api.post(f"/api/v1/orders/{first['id']}/prepay", json={"trade_type": "NATIVE"})
    with count_queries() as one:
        assert len(api.get("/api/v1/orders").get_json()["items"]) == 1
    for _ in range(6):  # more lines, more attempts, and a payment
        order = api.post("/api/v1/orders", json=lines((shop.cny_offer, 1), (shop.usd_offer, 1))).get_json()
        api.post(f"/api/v1/orders/{order['id']}/prepay", json={"trade_type": "MWEB"})
        code_url = api.post(f"/api/v1/orders/{order['id']}/prepay", json={"trade_type": "NATIVE"}).get_json()["code_url"]
    wechat.control("POST", "_sandbox/pay", json={"code_url": code_url})
    assert api.get(f"/api/v1/orders/{order['id']}").get_json()["state"] == "pending_payment"
    pay.query(db.session.scalar(select(Attempt).where(Attempt.code_url == code_url)), "poll")
    with count_queries() as seven:
        body = api.get("/api/v1/orders").get_json()
    assert len(body["items"]) == 7 and len(body["items"][0]["payments"]) == 1
    assert len(seven) == len(one) == 8, "token, orders, lines, charges, attempts, payments, refunds, declarations"


def test_the_list_filters_by_state_and_refuses_unknown_ones(api, shop):
    kept = api.post("/api/v1/orders", json=lines((shop.cny_offer, 1))).get_json()
    gone = api.post("/api/v1/orders", json=lines((shop.cny_offer, 1))).get_json()
    assert api.post(f"/api/v1/orders/{gone['id']}/cancel").status_code == 200
    closed = api.get("/api/v1/orders?state=closed").get_json()["items"]
    assert [o["id"] for o in closed] == [gone["id"]] and closed[0]["state"] == "closed"
    assert [o["id"] for o in api.get("/api/v1/orders?state=pending_payment").get_json()["items"]] == [kept["id"]]
    for query, field in (("state=cancelled", "state"), ("cursor=bm90LWEtY3Vyc29y", "cursor"),
                         ("cursor=" + "%C3%A9", "cursor"), ("limit=0", "limit"), ("limit=101", "limit")):
        r = api.get(f"/api/v1/orders?{query}")
        assert r.status_code == 400 and r.get_json()["error"]["field"] == field, query


def test_cancel_closes_an_unpaid_order_and_a_second_cancel_is_409(api, shop, db_session):
    order = api.post("/api/v1/orders", json=lines((shop.cny_offer, 1))).get_json()
    r = api.post(f"/api/v1/orders/{order['id']}/cancel")
    assert r.status_code == 200
    assert r.get_json()["state"] == "closed" and r.get_json()["closed_at"]
    assert db_session.get(Order, order["id"]).close_reason == "cancelled"
    again = api.post(f"/api/v1/orders/{order['id']}/cancel")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "illegal_transition"
    pay = api.post(f"/api/v1/orders/{order['id']}/prepay", json={"trade_type": "NATIVE"})
    assert pay.status_code == 409 and pay.get_json()["error"]["code"] == "closed"


def test_cancel_takes_no_body_but_refuses_a_wrong_one(api, shop):
    order = api.post("/api/v1/orders", json=lines((shop.cny_offer, 1))).get_json()
    r = api.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "changed my mind"})
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "reason"
    assert api.get(f"/api/v1/orders/{order['id']}").get_json()["state"] == "pending_payment"


def test_a_missing_order_is_404(api):
    assert api.get("/api/v1/orders/2147483647").status_code == 404
    assert api.get("/api/v1/orders/2147483648").status_code == 404
