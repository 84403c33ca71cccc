"""Who may call the API: a token, or a signed-in browser with its CSRF token; nobody else."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts import tokens
from app.accounts.models import ApiToken
from app.orders.models import Order
from tests.api.conftest import lines


def test_a_token_lists_products_with_no_cookie_and_sets_none(api, shop):
    r = api.get("/api/v1/products?q=面霜")
    assert r.status_code == 200
    assert [item["id"] for item in r.get_json()["items"]] == [shop.product.id]
    assert "Set-Cookie" not in r.headers, "a token request must not start a session"


def test_a_token_places_an_order_without_a_csrf_token(api, shop, db_session):
    r = api.post("/api/v1/orders", json=lines((shop.cny_offer, 1)))
    assert r.status_code == 201, r.get_json()
    assert db_session.get(Order, r.get_json()["id"]) is not None


@pytest.mark.parametrize("header", [
    "Bearer kj_thisTokenWasNeverIssuedByThePortal0000000000",
    "Bearer not-even-our-format",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "kj_a-token-without-its-scheme",
])
def test_an_unknown_or_malformed_token_is_401_in_the_envelope(client, shop, header):
    r = client.get("/api/v1/products", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.get_json()["error"]["code"] == "unauthorized" and r.get_json()["error"]["field"] == "Authorization"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_at_once(api, buyer, shop, db_session):
    assert api.get("/api/v1/orders").status_code == 200
    [token] = tokens.active_of(buyer.id)
    tokens.revoke(buyer.id, token.id)
    r = api.post("/api/v1/orders", json=lines((shop.cny_offer, 1)))
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthorized"
    assert api.get("/api/v1/orders").status_code == 401
    assert db_session.scalar(select(func.count()).select_from(Order)) == 0


def test_a_deactivated_users_token_stops_working(api, buyer, db_session):
    assert api.get("/api/v1/orders").status_code == 200
    buyer.active = False
    db_session.flush()
    assert api.get("/api/v1/orders").status_code == 401


def test_nobody_signed_in_and_no_token_is_401(client):
    r = client.get("/api/v1/orders")
    assert r.status_code == 401 and r.get_json()["error"]["field"] == "session"


def test_a_signed_in_browser_uses_every_endpoint_with_its_csrf_token(client, login, buyer, shop, wechat):
    login(client, buyer)
    assert client.get("/api/v1/products?q=面霜").get_json()["items"][0]["id"] == shop.product.id
    assert client.get(f"/api/v1/products/{shop.product.id}/offers?quantity=1").status_code == 200
    r = client.post("/api/v1/orders", json=lines((shop.cny_offer, 1)))  # sends X-CSRFToken
    assert r.status_code == 201, r.get_json()
    order_id = r.get_json()["id"]
    assert [o["id"] for o in client.get("/api/v1/orders").get_json()["items"]] == [order_id]
    assert client.get(f"/api/v1/orders/{order_id}").get_json()["state"] == "pending_payment"
    prepaid = client.post(f"/api/v1/orders/{order_id}/prepay", json={"trade_type": "NATIVE"})
    assert prepaid.status_code == 200 and prepaid.get_json()["code_url"].startswith("weixin://")
    assert client.post(f"/api/v1/orders/{order_id}/cancel", json={}).status_code == 202


def test_a_signed_in_browser_without_the_csrf_token_is_refused(client, login, buyer, shop, db_session):
    login(client, buyer)
    r = client.post("/api/v1/orders", json=lines((shop.cny_offer, 1)), csrf=False)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "csrf"
    assert db_session.scalar(select(func.count()).select_from(Order)) == 0
    order = client.post("/api/v1/orders", json=lines((shop.cny_offer, 1))).get_json()
    for url in (f"/api/v1/orders/{order['id']}/cancel", f"/api/v1/orders/{order['id']}/prepay"):
        assert client.post(url, json={"trade_type": "NATIVE"}, csrf=False).get_json()["error"]["code"] == "csrf"
    assert db_session.get(Order, order["id"]).state.value == "pending_payment"


def test_the_token_decides_who_acts_even_beside_another_users_session(client, login, api_as, buyer, make_user, shop):
    other = make_user(role="owner")
    make_order = lines((shop.cny_offer, 1))
    login(client, other)                    # the browser holds other's session cookie
    theirs = api_as(buyer)
    theirs.client = client
    r = theirs.post("/api/v1/orders", json=make_order)
    assert r.status_code == 201
    assert client.get(f"/api/v1/orders/{r.get_json()['id']}", headers={}).status_code == 404, \
        "the session is other's, whose company does not have this order"


def test_staff_without_a_company_get_403_on_company_endpoints(api_as, make_user, shop):
    agent = api_as(make_user(staff_role="agent"))
    assert agent.get("/api/v1/products").status_code == 200
    for r in (agent.get("/api/v1/orders"), agent.get("/api/v1/orders/1"),
              agent.post("/api/v1/orders", json=lines((shop.cny_offer, 1))),
              agent.post("/api/v1/orders/1/cancel")):
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"


def test_finance_reads_the_companys_orders_but_does_not_place_them(api_as, api, buyer, make_user, shop):
    order = api.post("/api/v1/orders", json=lines((shop.cny_offer, 1))).get_json()
    finance = api_as(make_user(role="finance", company=buyer.membership.company))
    assert finance.get(f"/api/v1/orders/{order['id']}").get_json()["number"] == order["number"]
    assert [o["id"] for o in finance.get("/api/v1/orders").get_json()["items"]] == [order["id"]]
    assert finance.post("/api/v1/orders", json=lines((shop.cny_offer, 1))).status_code == 403
    assert finance.post(f"/api/v1/orders/{order['id']}/cancel").status_code == 403


def test_a_token_notes_its_last_use_at_most_once_a_minute(api, buyer, db_session):
    [token] = tokens.active_of(buyer.id)
    assert token.last_used_at is None
    api.get("/api/v1/orders")
    db_session.refresh(token)
    first = token.last_used_at
    assert first is not None
    api.get("/api/v1/orders")
    db_session.refresh(token)
    assert token.last_used_at == first, "a second call within the minute writes nothing"
    token.last_used_at = first - timedelta(seconds=61)
    db_session.flush()
    api.get("/api/v1/orders")
    db_session.refresh(token)
    assert token.last_used_at > first


def test_only_a_hash_of_the_token_is_stored(api, buyer, db_session):
    stored = db_session.scalars(select(ApiToken.token_hash)).all()
    assert stored == [tokens.digest(api.secret)] and api.secret not in stored
    assert api.secret.startswith("kj_") and len(api.secret) >= 40


def test_each_token_has_its_own_budget_and_is_told_when_to_come_back(api, api_as, make_user, use_config):
    use_config(API_LIMIT_PER_USER="3 per minute")
    for _ in range(3):
        assert api.get("/api/v1/orders").status_code == 200
    refused = api.get("/api/v1/orders")
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert api_as(make_user(role="owner")).get("/api/v1/orders").status_code == 200, "another token still goes"


def test_one_client_is_limited_across_tokens_bad_ones_included(client, api_as, make_user, use_config):
    use_config(API_LIMIT_PER_IP="4 per minute")
    for _ in range(3):
        assert client.get("/api/v1/orders", headers={"Authorization": "Bearer kj_guess"}).status_code == 401
    assert api_as(make_user(role="owner")).get("/api/v1/orders").status_code == 200
    refused = api_as(make_user(role="owner")).get("/api/v1/orders")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_messages_follow_accept_language_then_the_users_language(client, api, buyer, db_session):
    bad = {"Authorization": "Bearer kj_guess"}
    assert "API 令牌无效" in client.get("/api/v1/orders", headers=bad).get_json()["error"]["message"]
    english = client.get("/api/v1/orders", headers={**bad, "Accept-Language": "en-US,en;q=0.9"})
    assert english.get_json()["error"]["message"].startswith("This API token is not valid")
    assert api.get("/api/v1/orders?state=lost").get_json()["error"]["message"].startswith("请选择")
    buyer.language = "en"
    db_session.flush()
    assert api.get("/api/v1/orders?state=lost").get_json()["error"]["message"].startswith("Choose one of")
    chinese = api.get("/api/v1/orders?state=lost", headers={"Accept-Language": "zh-CN"})
    assert chinese.get_json()["error"]["message"].startswith("请选择")
