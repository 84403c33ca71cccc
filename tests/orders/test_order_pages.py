"""The buyer's orders: list (filters, paging, CSV), one order (timeline, payments, cancel, buy
again), the home page's panel, and another company's orders never shown."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.models import utcnow
from app.orders import services
from app.orders.models import Order, OrderState
from app.payments import TradeType, prepay
from app.payments import services as pay
from tests.orders.conftest import make_consignee


def order_of(user, shop, quantity=1, offer=None, **kw):
    return services.create(user, user.company_id, [((offer or shop.cny_offer).id, quantity)], **kw)


def test_the_list_filters_by_state_and_day(client, db_session, shop, buyer, login):
    old = order_of(buyer, shop, now=utcnow() - timedelta(days=40))
    new = order_of(buyer, shop, 2)
    login(client, buyer)
    page = client.get("/orders").get_data(as_text=True)
    assert old.number in page and new.number in page and "等待支付" in page
    day = (utcnow() - timedelta(days=1)).astimezone().date().isoformat()
    filtered = client.get(f"/orders?from={day}").get_data(as_text=True)
    assert new.number in filtered and old.number not in filtered
    assert old.number not in client.get("/orders?state=paid").get_data(as_text=True)
    htmx = client.get("/orders?state=pending_payment", headers={"HX-Request": "true"})
    assert "<html" not in htmx.get_data(as_text=True) and new.number in htmx.get_data(as_text=True)
    assert htmx.headers["Vary"] == "HX-Request" or "HX-Request" in htmx.headers["Vary"]


@pytest.mark.parametrize("query, message", [
    ("from=2026-13-45", "Enter a date such as 2026-01-31."),
    ("from=yesterday", "Enter a date such as 2026-01-31."),
    ("state=lost", "Choose a state from the list."),
    ("from=2026-03-02&to=2026-03-01", "The end date is before the start date."),
])
def test_a_bad_filter_is_explained_and_the_rest_still_shows(client, db_session, shop, make_user, login, query, message):
    user = make_user(role="owner", language="en")
    make_consignee(user)
    order = order_of(user, shop)
    login(client, user)
    response = client.get("/orders?" + query)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in html and order.number in html


def test_pages_of_twenty_in_a_fixed_number_of_queries(client, db_session, shop, buyer, login, count_queries):
    made = [order_of(buyer, shop, offer=shop.general_offer) for _ in range(23)]
    login(client, buyer)
    with count_queries() as few:
        client.get("/orders?state=pending_payment")
    first = client.get("/orders").get_data(as_text=True)
    assert made[-1].number in first and made[2].number not in first
    older = re.search(r'href="(/orders\?before=\d+)"', first).group(1)
    second = client.get(older).get_data(as_text=True)
    assert made[2].number in second and made[0].number in second and made[-1].number not in second
    with count_queries() as many:
        client.get("/orders?state=pending_payment")
    assert len(many) == len(few)


def test_csv_export_through_the_formula_safe_writer(client, db_session, shop, make_user, login):
    user = make_user(role="finance", language="en")
    owner = make_user(role="owner", company=user.membership.company)
    make_consignee(owner, name="=HYPERLINK(\"x\")", id_number=None)
    order = order_of(owner, shop, 2, offer=shop.general_offer)
    login(client, user)
    response = client.get("/orders.csv?state=pending_payment")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    header, row = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header[0] == "Order number" and "Total (CNY)" in header
    assert row[0] == order.number and row[2] == "Waiting for payment" and row[3] == "General trade"
    assert row[header.index("Total (CNY)")] == f"{order.total_fen / 100:.2f}"
    assert row[header.index("Consignee")] == "'=HYPERLINK(\"x\")"


def test_the_order_page_shows_lines_taxes_consignee_masked_and_the_timeline(client, db_session, shop, buyer, login):
    order = order_of(buyer, shop, 2)
    login(client, buyer)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "保湿面霜" in html and "¥218.20" in html and "¥18.20" in html
    assert "1101**********002X" in html and "+86138****8000" in html and "11010519491231002X" not in html
    assert "跨境电商零售" in html and 'data-event="placed"' in html
    assert f'href="/orders/{order.id}/pay"' in html and "取消订单" in html


def test_cancel_while_unpaid_then_buy_again(client, db_session, shop, buyer, login):
    order = order_of(buyer, shop, 2)
    login(client, buyer)
    response = client.post(f"/orders/{order.id}/cancel")
    assert response.status_code == 303
    db_session.refresh(order)
    assert order.state == OrderState.CLOSED and order.close_reason == "cancelled"
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "订单已取消" in html and 'data-event="closed"' in html and "取消订单" not in html
    again = client.post(f"/orders/{order.id}/again")
    new = db_session.scalar(select(Order).where(Order.id != order.id))
    assert again.headers["Location"] == f"/orders/{new.id}/pay"
    assert [(line.offer_id, line.quantity) for line in new.lines] == [(shop.cny_offer.id, 2)]
    # Cancelling twice is refused in words, not with an error page.
    client.post(f"/orders/{order.id}/cancel")
    assert "只有待付款的订单可以取消" in client.get(f"/orders/{order.id}").get_data(as_text=True)


def test_a_paid_order_shows_its_payment_and_texts_the_buyer(client, db_session, shop, buyer, login, wechat):
    from app.notifications.models import SmsMessage

    order = order_of(buyer, shop, 2)
    attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.9")
    paid = wechat.control("POST", "_sandbox/pay", json={"code_url": attempt.code_url}).json()
    pay.query(attempt, "poll")
    login(client, buyer)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert paid["transaction_id"] in html and "扫码支付" in html and 'data-event="paid"' in html
    assert "取消订单" not in html and "再次购买" in html
    [sms] = db_session.scalars(select(SmsMessage).where(SmsMessage.phone == buyer.phone)).all()
    assert order.number in sms.body and "¥218.20" in sms.body


def test_the_home_page_shows_what_needs_the_buyer_now(client, db_session, shop, buyer, login, make_user):
    waiting = order_of(buyer, shop, 3)
    login(client, buyer)
    html = client.get("/").get_data(as_text=True)
    awaiting = re.search(r'data-panel="awaiting".*?</ul>', html, re.S).group()
    assert waiting.number in awaiting and f"/orders/{waiting.id}/pay" in awaiting
    # ¥300 of this year's ¥26,000, held by the unpaid order
    assert "王小明：已用 ¥300.00，共 ¥26,000.00，剩余 ¥25,700.00。" in html
    english = make_user(role="finance", language="en", company=buyer.membership.company)
    other = client.__class__(client.application, client.response_wrapper, use_cookies=True)
    login(other, english)
    html = other.get("/").get_data(as_text=True)
    assert "Waiting for your payment" in html and waiting.number in html
    staff = client.__class__(client.application, client.response_wrapper, use_cookies=True)
    login(staff, make_user(role=None, staff_role="ops", language="en"))
    assert "home-orders" not in staff.get("/").get_data(as_text=True)  # the panel is for buyers' roles


def test_another_companys_order_is_not_found_on_every_address(client, db_session, shop, buyer, make_user, login):
    order = order_of(buyer, shop)
    stranger = make_user(role="owner")
    make_consignee(stranger)
    login(client, stranger)
    base = f"/orders/{order.id}"
    for url in (base, base + "/pay", base + "/status", base + "/pay/return"):
        assert client.get(url).status_code == 404, url
    for url in (base + "/cancel", base + "/again", base + "/prepay"):
        assert client.post(url).status_code == 404, url
    assert order.number not in client.get("/orders").get_data(as_text=True)
    assert order.number not in client.get("/orders.csv").get_data(as_text=True)
    db_session.refresh(order)
    assert order.state == OrderState.PENDING_PAYMENT
    assert db_session.scalar(select(func.count()).select_from(Order)) == 1


def test_orders_past_payment_are_named_listed_filtered_and_exported(client, db_session, shop, buyer, login, wechat,
                                                                    make_user):
    """Shipped and completed orders (and refunded ones) have words of their own on every page,
    a place in the state filter, and a row in the CSV."""
    from app.orders import aftersale
    from app.orders.texts import STATE_LABELS

    assert set(STATE_LABELS) == {s.value for s in OrderState}, "every state has its words"
    ops = make_user(role=None, staff_role="ops")
    shipped, completed = order_of(buyer, shop, offer=shop.general_offer), order_of(buyer, shop, offer=shop.general_offer)
    for order in (shipped, completed):
        attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
        wechat.control("POST", "_sandbox/pay", json={"code_url": attempt.code_url})
        pay.query(attempt, "poll")
        aftersale.ship(order, [line.id for line in order.lines], carrier="顺丰", tracking_no="SF300", actor_id=ops.id)
    aftersale.deliver(completed, [line.id for line in completed.lines], actor_id=ops.id)
    assert (shipped.state, completed.state) == (OrderState.SHIPPED, OrderState.COMPLETED)
    login(client, buyer)

    page = client.get("/orders").get_data(as_text=True)
    assert '<span class="state state-shipped">已发货</span>' in page
    assert '<span class="state state-completed">已完成</span>' in page
    for state in ("shipped", "completed", "refunded"):
        assert f'<option value="{state}"' in page, f"the filter offers {state}"
    only = client.get("/orders?state=shipped").get_data(as_text=True)
    assert shipped.number in only and completed.number not in only
    assert "已发货" in client.get(f"/orders/{shipped.id}").get_data(as_text=True)
    assert "已完成" in client.get("/").get_data(as_text=True), "the home panel names it too"

    export = client.get("/orders.csv")
    assert export.status_code == 200
    rows = {row[0]: row[2] for row in csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")))}
    assert rows[shipped.number] == "已发货" and rows[completed.number] == "已完成"


def test_the_home_panel_costs_two_statements_and_keeps_an_older_unpaid_order(client, db_session, shop, buyer, login,
                                                                             count_queries):
    """The panel shows the five newest orders and those still waiting for payment, which
    may be older than all five, in a fixed number of statements."""
    waiting = order_of(buyer, shop)
    newer = [order_of(buyer, shop) for _ in range(5)]
    for order in newer:
        assert services.cancel(order, buyer.id) == "closed"
    db_session.flush()
    login(client, buyer)
    client.get("/")
    with count_queries() as seen:
        html = client.get("/").get_data(as_text=True)
    awaiting = re.search(r'data-panel="awaiting".*?</ul>', html, re.S).group()
    recent = re.search(r'data-panel="recent".*?</ul>', html, re.S).group()
    assert waiting.number in awaiting and all(o.number not in awaiting for o in newer)
    assert all(o.number in recent for o in newer) and waiting.number not in recent
    assert "王小明：已用 ¥100.00" in html, "the unpaid order holds its share of the year"
    assert len(seen) == 3, "the signed-in user, the orders, the consignee with the year's purchases:\n" + "\n".join(seen)
