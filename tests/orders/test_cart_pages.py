"""The cart: offers from several suppliers, paid in one order."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.orders.models import CartItem, Order
from tests.orders.conftest import make_consignee


def add(client, offer_id, quantity="1", htmx=False):
    return client.post("/cart/add", data={"offer_id": str(offer_id), "quantity": quantity, "next": "/catalog"},
                       headers={"HX-Request": "true"} if htmx else {})


def test_two_suppliers_in_the_cart_become_one_order(client, db_session, shop, buyer, login):
    login(client, buyer)
    answered = add(client, shop.cny_offer.id, "2", htmx=True)
    assert answered.status_code == 200 and "已加入购物车" in answered.get_data(as_text=True)
    assert add(client, shop.usd_offer.id).headers["Location"] == "/cart"
    page = client.get("/cart").get_data(as_text=True)
    assert shop.cny_offer.supplier.name in page and shop.usd_offer.supplier.name in page
    # ¥100 × 2 + VAT 13 % at 70 % = ¥218.20; $15 + $5 shipping at 7.00 + ¥12.74 tax = ¥152.74
    assert "¥218.20" in page and "¥152.74" in page and "¥370.94" in page
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    response = client.post("/cart/checkout", data={"token": token})
    order = db_session.scalar(select(Order))
    assert response.headers["Location"] == f"/orders/{order.id}/pay"
    assert sorted(line.supplier_id for line in order.lines) == sorted(
        [shop.cny_offer.supplier_id, shop.usd_offer.supplier_id])
    assert order.total_fen == 37_094
    assert db_session.scalar(select(func.count()).select_from(CartItem)) == 0
    # A second click on the same checkout lands on the order the first made.
    assert client.post("/cart/checkout", data={"token": token}).headers["Location"] == f"/orders/{order.id}/pay"
    assert db_session.scalar(select(func.count()).select_from(Order)) == 1


def test_quantities_change_in_place_and_bad_ones_are_explained(client, db_session, shop, make_user, login):
    user = make_user(role="buyer", language="en")
    make_consignee(user)
    login(client, user)
    add(client, shop.cny_offer.id)
    item = db_session.scalar(select(CartItem))
    fragment = client.post(f"/cart/{item.id}/quantity", data={"quantity": "3"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and '<div id="cart">' in fragment.get_data(as_text=True)
    assert "¥327.30" in fragment.get_data(as_text=True)  # ¥300 + ¥27.30 tax
    bad = client.post(f"/cart/{item.id}/quantity", data={"quantity": "lots"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "Enter a whole number using the digits 0 to 9." in bad.get_data(as_text=True)
    db_session.refresh(item)
    assert item.quantity == 3
    assert client.post(f"/cart/{item.id}/remove").headers["Location"] == "/cart"
    assert "Your cart is empty." in client.get("/cart").get_data(as_text=True)


def test_retail_and_general_trade_in_one_cart_is_explained_before_checkout(client, db_session, shop, make_user,
                                                                            login):
    user = make_user(role="buyer", language="en")
    make_consignee(user)
    login(client, user)
    add(client, shop.cny_offer.id)
    add(client, shop.general_offer.id)
    page = client.get("/cart").get_data(as_text=True)
    assert "paid for in separate orders" in page
    refused = client.post("/cart/checkout", data={}, headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "paid for in separate orders" in refused.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Order)) == 0
    assert db_session.scalar(select(func.count()).select_from(CartItem)) == 2


def test_someone_elses_cart_item_is_left_alone(client, db_session, shop, buyer, make_user, login):
    other = make_user(role="buyer")
    db_session.add(CartItem(user_id=other.id, offer_id=shop.cny_offer.id, quantity=1))
    db_session.flush()
    theirs = db_session.scalar(select(CartItem))
    login(client, buyer)
    assert client.post(f"/cart/{theirs.id}/quantity", data={"quantity": "9"}).status_code == 404
    client.post(f"/cart/{theirs.id}/remove")
    db_session.refresh(theirs)
    assert theirs.quantity == 1
