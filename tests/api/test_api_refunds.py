"""Refunds over the API: asked for by a buyer, decided by ops or platform finance only, read by
both; the order object's refunds, customs and shipments; another company's order or refund 404."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.core import states
from app.orders import aftersale
from app.payments.models import DECLARATION_MACHINE, DeclarationState, Refund, RefundStatus
from tests.orders.test_refund_books import _paid


@pytest.fixture
def paid(db_session, shop, buyer):
    return _paid(db_session, buyer, [(shop.usd_offer.id, 1), (shop.cny_offer.id, 2)])


def refunds(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Refund))


def test_a_buyer_asks_for_an_amount_lines_or_the_rest(api, paid, db_session):
    r = api.post(f"/api/v1/orders/{paid.id}/refunds", json={"amount_fen": 1_000, "reason": " 外箱破损 "})
    assert r.status_code == 201
    body = r.get_json()
    assert body["state"] == "requested" and body["amount_fen"] == 1_000 and body["reason"] == "外箱破损"
    assert body["order_id"] == paid.id and body["lines"] == [] and body["whole"] is False
    line = paid.lines[0]
    by_line = api.post(f"/api/v1/orders/{paid.id}/refunds", json={"lines": [line.id], "reason": "坏了"}).get_json()
    assert by_line["amount_fen"] == line.landed_fen and by_line["lines"] == [line.id]
    rest = api.post(f"/api/v1/orders/{paid.id}/refunds", json={"reason": "全退"}).get_json()
    assert rest["whole"] is True and rest["amount_fen"] == paid.total_fen
    assert api.get(f"/api/v1/refunds/{body['id']}").get_json() == body


@pytest.mark.parametrize("json, status, code, field", [
    ({"amount_fen": 100}, 400, "invalid", "reason"),
    ({"amount_fen": 100, "reason": "   "}, 400, "invalid", "reason"),
    ({"amount_fen": 100, "reason": "x" * 201}, 400, "invalid", "reason"),
    ({"amount_fen": "100", "reason": "x"}, 400, "invalid", "amount_fen"),
    ({"amount_fen": 0, "reason": "x"}, 400, "invalid", "amount_fen"),
    ({"amount_fen": 100, "lines": [1], "reason": "x"}, 400, "invalid", "amount_fen"),
    ({"lines": [], "reason": "x"}, 400, "invalid", "lines"),
    ({"lines": ["a"], "reason": "x"}, 400, "invalid", "lines[0]"),
    ({"lines": [2147483647], "reason": "x"}, 422, "lines", "lines"),
    ({"amount_fen": 10 ** 9, "reason": "x"}, 422, "over_refundable", "amount"),
    ({"reason": "x", "why": "y"}, 400, "invalid", "why"),
])
def test_a_bad_request_is_one_envelope_and_nothing_is_kept(api, paid, db_session, json, status, code, field):
    r = api.post(f"/api/v1/orders/{paid.id}/refunds", json=json, headers={"Accept-Language": "en"})
    assert r.status_code == status, r.get_json()
    error = r.get_json()["error"]
    assert (error["code"], error["field"]) == (code, field) and error["message"]
    assert refunds(db_session) == 0


def test_an_unpaid_order_is_refused_and_another_companys_is_not_found(api, shop, buyer, make_user, api_as, paid,
                                                                     db_session):
    from app.orders import services

    unpaid = services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 1)])
    r = api.post(f"/api/v1/orders/{unpaid.id}/refunds", json={"reason": "x"}, headers={"Accept-Language": "en"})
    assert r.status_code == 409 and r.get_json()["error"] == {
        "code": "not_paid", "field": None, "message": "Only a paid order can be refunded."}
    mine = api.post(f"/api/v1/orders/{paid.id}/refunds", json={"amount_fen": 100, "reason": "x"}).get_json()
    stranger = api_as(make_user(role="owner"))
    assert stranger.post(f"/api/v1/orders/{paid.id}/refunds", json={"reason": "x"}).get_json()["error"]["code"] \
        == "not_found"
    assert stranger.get(f"/api/v1/refunds/{mine['id']}").status_code == 404
    assert stranger.post(f"/api/v1/refunds/{mine['id']}/approve").status_code == 403
    finance = api_as(make_user(role="finance", company=buyer.membership.company))
    assert finance.get(f"/api/v1/refunds/{mine['id']}").status_code == 200, "finance reads its company's refunds"
    assert finance.post(f"/api/v1/orders/{paid.id}/refunds", json={"reason": "x"}).status_code == 403
    assert refunds(db_session) == 1


def test_only_ops_and_platform_finance_decide(api, api_as, paid, make_user, db_session):
    first = api.post(f"/api/v1/orders/{paid.id}/refunds", json={"amount_fen": 1_000, "reason": "a"}).get_json()
    second = api.post(f"/api/v1/orders/{paid.id}/refunds", json={"amount_fen": 500, "reason": "b"}).get_json()
    denied = api.post(f"/api/v1/refunds/{first['id']}/approve")
    assert denied.status_code == 403 and denied.get_json()["error"]["code"] == "forbidden"
    ops = api_as(make_user(role=None, staff_role="ops"))
    assert ops.get(f"/api/v1/refunds/{first['id']}").get_json()["state"] == "requested", "staff read any company's"
    approved = ops.post(f"/api/v1/refunds/{first['id']}/approve", json={"note": "核实"})
    assert approved.status_code == 200 and approved.get_json()["state"] == "approved"
    twice = ops.post(f"/api/v1/refunds/{first['id']}/reject", json={"note": "no"}, headers={"Accept-Language": "en"})
    assert twice.status_code == 409 and twice.get_json()["error"] == {
        "code": "illegal_transition", "field": None, "message": "This refund was decided already."}
    finance = api_as(make_user(role=None, staff_role="finance_admin"))
    silent = finance.post(f"/api/v1/refunds/{second['id']}/reject", json={})
    assert silent.status_code == 422 and silent.get_json()["error"]["field"] == "note"
    rejected = finance.post(f"/api/v1/refunds/{second['id']}/reject", json={"note": "价格已确认"}).get_json()
    assert rejected["state"] == "rejected" and rejected["note"] == "价格已确认"
    assert api.get(f"/api/v1/refunds/{second['id']}").get_json()["note"] == "价格已确认", "the buyer reads why"
    assert ops.get("/api/v1/refunds/2147483647").status_code == 404
    assert db_session.scalar(select(Refund.status).where(Refund.id == first["id"])) == RefundStatus.APPROVED


def test_the_order_object_has_refunds_customs_and_shipments(api, paid, make_user, db_session, count_queries):
    refund = aftersale.request_refund(paid, reason="x", requested_by_id=paid.buyer_id, amount_fen=700)
    for declaration in aftersale.declarations(paid):
        states.apply(DECLARATION_MACHINE, declaration, DeclarationState.SUBMITTED)
        declaration.cert_check_result = "SAME"
        states.apply(DECLARATION_MACHINE, declaration, DeclarationState.SUCCEEDED)
    ops = make_user(role=None, staff_role="ops")
    aftersale.ship(paid, [paid.lines[0].id], carrier="顺丰", tracking_no="SF100", actor_id=ops.id)
    db_session.flush()
    order = api.get(f"/api/v1/orders/{paid.id}").get_json()
    assert order["refunded_fen"] == 0 and [r["id"] for r in order["refunds"]] == [refund.id]
    assert order["refunds"][0]["state"] == "requested" and order["refunds"][0]["amount_fen"] == 700
    assert order["customs"]["state"] == "succeeded"
    assert {d["identity_check"] for d in order["customs"]["declarations"]} == {"SAME"}
    assert len(order["customs"]["declarations"]) == 2, "one per supplier"
    [shipment] = order["shipments"]
    assert (shipment["carrier"], shipment["tracking_no"], shipment["lines"]) == ("顺丰", "SF100", [paid.lines[0].id])
    assert shipment["delivered_at"] is None
    with count_queries() as one:
        listed = api.get("/api/v1/orders?limit=5").get_json()["items"]
    assert listed[0]["refunds"] == order["refunds"]
    for _ in range(3):
        _paid(db_session, paid_buyer(db_session, paid), [(paid.lines[1].offer_id, 1)])
    with count_queries() as four:
        assert len(api.get("/api/v1/orders?limit=5").get_json()["items"]) == 4
    assert len(four) == len(one), "a page is a fixed number of queries"


def paid_buyer(db_session, order):
    from app.accounts.models import User

    return db_session.get(User, order.buyer_id)
