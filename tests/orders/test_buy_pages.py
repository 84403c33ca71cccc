"""Buy now, the consignee asked for once, and the refusals a buyer sees where they clicked Buy."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.orders.models import Consignee, Order
from tests.orders.conftest import ID_NUMBER, make_consignee

TOKEN = "0123456789abcdef0123456789abcdef"


def orders_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Order))


def buy(client, offer_id, quantity="2", htmx=False, **extra):
    data = {"offer_id": str(offer_id), "quantity": quantity, "next": "/catalog", **extra}
    return client.post("/orders/buy", data=data, headers={"HX-Request": "true"} if htmx else {})


def test_buy_now_orders_with_the_default_consignee_and_goes_to_paying(client, db_session, shop, buyer, login):
    login(client, buyer)
    response = buy(client, shop.cny_offer.id, "3")
    order = db_session.scalar(select(Order))
    assert response.status_code == 303 and response.headers["Location"] == f"/orders/{order.id}/pay"
    assert [(line.offer_id, line.quantity) for line in order.lines] == [(shop.cny_offer.id, 3)]
    assert order.consignee_name == "王小明" and order.buyer_id == buyer.id
    # With htmx the browser is sent on by HX-Redirect.
    again = buy(client, shop.cny_offer.id, "1", htmx=True)
    assert again.status_code == 204 and re.fullmatch(r"/orders/\d+/pay", again.headers["HX-Redirect"])


def test_a_double_click_makes_one_order(client, db_session, shop, buyer, login):
    login(client, buyer)
    first = buy(client, shop.cny_offer.id, token=TOKEN)
    second = buy(client, shop.cny_offer.id, token=TOKEN)
    assert first.headers["Location"] == second.headers["Location"]
    assert orders_count(db_session) == 1
    # The same page sent again with another quantity is another order.
    buy(client, shop.cny_offer.id, "5", token=TOKEN)
    assert orders_count(db_session) == 2


def test_without_a_consignee_it_is_asked_for_once_then_the_purchase_goes_on(client, db_session, shop,
                                                                             make_user, login):
    user = make_user(role="buyer", language="en")
    login(client, user)
    response = buy(client, shop.cny_offer.id, "2")
    assert response.status_code == 303
    form_url = response.headers["Location"]
    assert form_url.startswith("/consignees/new?then=buy")
    page = client.get(form_url).get_data(as_text=True)
    assert "Who receives the goods" in page and "Save and continue to payment" in page
    token = re.search(r'name="token"[^>]*value="([0-9a-f]{32})"', page).group(1)
    saved = client.post("/consignees/new", data={
        "name": " 李四\u3000", "phone": "138 0013 8000", "address": "上海市浦东新区 1 号",
        "id_number": ID_NUMBER, "then": f"buy:{shop.cny_offer.id}:2", "token": token})
    order = db_session.scalar(select(Order))
    assert saved.status_code == 303 and saved.headers["Location"] == f"/orders/{order.id}/pay"
    assert order.consignee_name == "李四" and order.consignee_phone == "+8613800138000"
    assert order.consignee_id_masked == "1101**********002X"
    # Remembered: the next Buy now goes straight to paying.
    assert "/pay" in buy(client, shop.usd_offer.id, "1").headers["Location"]


@pytest.mark.parametrize("lang, blank, phone, id_number", [
    ("en", "This field is required.", "Enter a mobile number such as 13800138000",
     "Enter the 18-character identity card number"),
    ("zh_CN", "此项为必填。", "请输入手机号", "请输入 18 位身份证号码"),
])
def test_a_bad_consignee_is_explained_and_nothing_is_written(client, db_session, shop, make_user, login,
                                                            lang, blank, phone, id_number):
    user = make_user(role="buyer", language=lang)
    login(client, user)
    response = client.post("/consignees/new", data={"name": "   ", "phone": "12345", "address": "x" * 201,
                                                    "then": f"buy:{shop.cny_offer.id}:1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert blank in html and phone in html
    assert "200" in html  # the address's limit
    response = client.post("/consignees/new", data={"name": "李四", "phone": "13800138000", "address": "上海",
                                                    "id_number": "110105194912310021",
                                                    "then": f"buy:{shop.cny_offer.id}:1"})
    assert response.status_code == 422 and id_number in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Consignee)) == 0 and orders_count(db_session) == 0


def test_retail_without_an_identity_number_asks_for_it_beside_the_field(client, db_session, shop, make_user, login):
    user = make_user(role="buyer", language="en")
    login(client, user)
    response = client.post("/consignees/new", data={"name": "李四", "phone": "13800138000", "address": "上海",
                                                    "then": f"buy:{shop.cny_offer.id}:1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="id_number-error">Cross-border retail imports need the consignee', html)
    # Neither the consignee nor an order was kept: the buyer fixes the form and sends it again.
    assert db_session.scalar(select(func.count()).select_from(Consignee)) == 0 and orders_count(db_session) == 0


def test_the_consignee_is_editable_and_the_stored_identity_number_stays(client, db_session, buyer, login):
    login(client, buyer)
    consignee = db_session.scalar(select(Consignee).where(Consignee.user_id == buyer.id))
    page = client.get(f"/consignees/{consignee.id}/edit").get_data(as_text=True)
    assert 'value="王小明"' in page and "1101**********002X" in page and ID_NUMBER not in page
    response = client.post(f"/consignees/{consignee.id}/edit", data={
        "name": "王大明", "phone": "13900139000", "address": "北京市朝阳区", "id_number": ""})
    assert response.status_code == 303
    db_session.refresh(consignee)
    assert (consignee.name, consignee.phone, consignee.id_masked) == ("王大明", "+8613900139000", "1101**********002X")


def test_someone_elses_consignee_is_not_found(client, buyer, make_user, login):
    other = make_user(role="owner")
    theirs = make_consignee(other)
    login(client, buyer)
    assert client.get(f"/consignees/{theirs.id}/edit").status_code == 404
    assert client.post(f"/consignees/{theirs.id}/edit", data={"name": "x", "phone": "13800138000",
                                                              "address": "y"}).status_code == 404


@pytest.mark.parametrize("quantity, message", [
    ("abc", "Enter a whole number using the digits 0 to 9."),
    ("0", "Enter a whole number from 1 to 1,000,000."),
    ("-3", "Enter a whole number from 1 to 1,000,000."),
    ("", "This field is required."),
    ("２", "Enter a whole number using the digits 0 to 9."),
])
def test_a_bad_quantity_is_answered_beside_the_button(client, db_session, shop, make_user, login, quantity, message):
    user = make_user(role="buyer", language="en")
    make_consignee(user)
    login(client, user)
    response = buy(client, shop.cny_offer.id, quantity, htmx=True)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)
    assert orders_count(db_session) == 0


def test_what_the_offer_cannot_do_is_said_where_the_buyer_clicked(client, db_session, shop, make_user, login):
    user = make_user(role="buyer", language="en")
    make_consignee(user)
    login(client, user)
    response = buy(client, shop.cny_offer.id, "5000", htmx=True)  # stock is 1,000
    assert response.status_code == 422 and "1000" in response.get_data(as_text=True).replace(",", "")
    plain = buy(client, 999_999)
    assert plain.status_code == 303 and plain.headers["Location"] == "/catalog"
    assert "There is no such offer." in client.get("/catalog").get_data(as_text=True)
    assert orders_count(db_session) == 0


def test_past_the_yearly_limit_the_order_is_refused_before_it_exists(client, db_session, shop, buyer, login):
    login(client, buyer)
    for _ in range(5):
        buy(client, shop.cny_offer.id, "45")     # ¥4,500 each, held while unpaid
    response = buy(client, shop.cny_offer.id, "40", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "¥26,000.00" in html and "已用 ¥22,500.00" in html and "剩余 ¥3,500.00" in html
    assert orders_count(db_session) == 5


@pytest.mark.parametrize("role", ["finance", None])
def test_only_buyers_buy(client, shop, make_user, login, role):
    user = make_user(role=role, staff_role=None if role else "ops")
    login(client, user)
    assert buy(client, shop.cny_offer.id).status_code == 403
    page = client.get(f"/catalog/products/{shop.product.id}/compare?quantity=1").get_data(as_text=True)
    assert "/orders/buy" not in page


def test_buy_now_is_on_every_offer_of_the_comparison_and_the_product_page(client, shop, buyer, login):
    login(client, buyer)
    compare = client.get(f"/catalog/products/{shop.product.id}/compare?quantity=4").get_data(as_text=True)
    for offer in (shop.cny_offer, shop.usd_offer, shop.general_offer):
        row = re.search(rf'<tr data-offer="{offer.id}".*?</tr>', compare, re.S).group()
        assert 'action="/orders/buy"' in row and 'name="quantity" value="4"' in row
    product = client.get(f"/catalog/products/{shop.product.id}").get_data(as_text=True)
    row = re.search(rf'<tr data-offer="{shop.usd_offer.id}".*?</tr>', product, re.S).group()
    assert 'action="/orders/buy"' in row and 'type="number"' in row
