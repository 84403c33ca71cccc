"""The buyer's side after payment, on the order page: asking for a refund (the whole order,
lines or an amount, with and without htmx), the refunds in their states with a failure said
in plain words, "partly refunded" / "refunded" on the order and in the list, customs and
shipments, the timeline, and another company's order never reached."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import catalog
from app.core import states
from app.core.models import utcnow
from app.orders import aftersale, consignees
from app.orders.models import OrderState
from app.payments import refunds as money_back
from app.payments.gateway import RefundState
from app.payments.models import REFUND_MACHINE, Payment, Refund, RefundStatus
from tests.orders.conftest import make_consignee
from tests.orders.test_refund_books import _paid


@pytest.fixture
def en_buyer(make_user):
    user = make_user(role="owner", language="en")
    make_consignee(user)
    return user


def settle(order, buyer, answer: RefundState, **how) -> Refund:
    """A refund asked for, approved, accepted by WeChat Pay and then answered `answer`."""
    refund = aftersale.request_refund(order, reason="破损", requested_by_id=buyer.id, **how)
    aftersale.decide(order, refund.id, approve=True, actor_id=buyer.id)
    states.apply(REFUND_MACHINE, refund, RefundStatus.PROCESSING)
    money_back.settle(refund, answer, utcnow(), None)
    return refund


def refunds_of(db_session) -> list[Refund]:
    return list(db_session.scalars(select(Refund).order_by(Refund.id)))


def test_the_buyer_asks_for_a_refund_of_chosen_lines(client, db_session, shop, buyer, login):
    order = _paid(db_session, buyer, [(shop.usd_offer.id, 1), (shop.cny_offer.id, 2)])
    login(client, buyer)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "申请退款" in page and 'name="how"' in page
    response = client.post(f"/orders/{order.id}/refunds",
                           data={"how": "lines", "lines": [str(order.lines[1].id)], "reason": "　少发了一件　"})
    assert response.status_code == 303 and response.headers["Location"] == f"/orders/{order.id}"
    [refund] = refunds_of(db_session)
    assert refund.amount_fen == order.lines[1].landed_fen and refund.detail == {"lines": [order.lines[1].id]}
    assert refund.reason == "少发了一件" and refund.status == RefundStatus.REQUESTED
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "退款申请已提交" in html and f'data-refund="{refund.id}" data-state="requested"' in html
    assert "已申请" in html and 'data-event="refund_requested"' in html and "少发了一件" in html


def test_with_htmx_the_refunds_region_answers_and_over_what_is_left_is_refused(client, db_session, shop, en_buyer,
                                                                               login):
    order = _paid(db_session, en_buyer, [(shop.cny_offer.id, 1)])
    login(client, en_buyer)
    hx = {"HX-Request": "true"}
    ok = client.post(f"/orders/{order.id}/refunds", data={"how": "amount", "amount": "50.5", "reason": "scratched"},
                     headers=hx)
    html = ok.get_data(as_text=True)
    assert ok.status_code == 200 and "<html" not in html and 'id="order-refunds"' in html
    assert "Your refund request is sent." in html and "¥50.50" in html
    aftersale.decide(order, refunds_of(db_session)[0].id, approve=True, actor_id=en_buyer.id)
    left = order.total_fen - 5_050
    over = client.post(f"/orders/{order.id}/refunds",
                       data={"how": "amount", "amount": f"{(left + 1) / 100:.2f}", "reason": "more"}, headers=hx)
    html = over.get_data(as_text=True)
    assert over.status_code == 422 and f"At most ¥{left / 100:,.2f} is left to refund on this order." in html
    assert 'id="amount-error"' in html, "said beside the amount"
    assert len(refunds_of(db_session)) == 1


@pytest.mark.parametrize("form, field, message", [
    ({"how": "lines", "reason": "x"}, "lines", "Choose the lines to refund."),
    ({"how": "amount", "amount": "", "reason": "x"}, "amount", "Enter an amount to refund."),
    ({"how": "amount", "amount": "12.345", "reason": "x"}, "amount", "Use at most 2 decimal places."),
    ({"how": "amount", "amount": "1e3", "reason": "x"}, "amount", "Enter a number such as 12.50"),
    ({"how": "whole", "reason": "　"}, "reason", "Say why you ask for a refund."),
    ({"how": "whole", "reason": "x" * 201}, "reason", "Use at most 200 characters."),
    ({"how": "lines", "lines": ["999999"], "reason": "x"}, "lines", "Choose lines of this order."),
])
def test_a_bad_request_is_explained_beside_its_field_and_nothing_is_kept(client, db_session, shop, en_buyer, login,
                                                                        form, field, message):
    order = _paid(db_session, en_buyer, [(shop.cny_offer.id, 1)])
    login(client, en_buyer)
    response = client.post(f"/orders/{order.id}/refunds", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert "<details class=\"refund-ask\" open>" in html, "the form stays open with what to correct"
    assert refunds_of(db_session) == []


def test_an_unpaid_order_offers_no_refund_and_refuses_one(client, db_session, shop, en_buyer, login):
    from app.orders import services

    order = services.create(en_buyer, en_buyer.company_id, [(shop.cny_offer.id, 1)])
    login(client, en_buyer)
    assert "Ask for a refund" not in client.get(f"/orders/{order.id}").get_data(as_text=True)
    response = client.post(f"/orders/{order.id}/refunds", data={"how": "whole", "reason": "x"})
    assert response.status_code == 409 and "Only a paid order can be refunded." in response.get_data(as_text=True)
    assert refunds_of(db_session) == []


def test_over_a_year_after_payment_the_page_says_why_no_refund_can_be_asked(client, db_session, shop, buyer, login):
    order = _paid(db_session, buyer, [(shop.cny_offer.id, 1)])
    long_ago = utcnow() - timedelta(days=400)
    db_session.execute(Payment.__table__.update().values(paid_at=long_ago))
    order.paid_at = long_ago
    db_session.flush()
    login(client, buyer)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'data-refund-blocked="overdue"' in html and "支付已超过一年" in html and "提交退款申请" not in html
    response = client.post(f"/orders/{order.id}/refunds", data={"how": "whole", "reason": "太晚了"})
    assert response.status_code == 409 and "微信支付不再受理退款" in response.get_data(as_text=True)
    assert refunds_of(db_session) == []


def test_another_companys_buyer_and_finance_cannot_ask(client, new_client, db_session, shop, buyer, make_user,
                                                       login):
    order = _paid(db_session, buyer, [(shop.cny_offer.id, 1)])
    stranger = make_user(role="owner")
    login(client, stranger)
    assert client.post(f"/orders/{order.id}/refunds", data={"how": "whole", "reason": "x"}).status_code == 404
    finance, books = make_user(role="finance", company=buyer.membership.company), new_client()
    login(books, finance)
    html = books.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "提交退款申请" not in html
    assert books.post(f"/orders/{order.id}/refunds", data={"how": "whole", "reason": "x"}).status_code == 403
    assert refunds_of(db_session) == []


def test_each_state_is_shown_and_a_failure_in_plain_words(client, db_session, shop, en_buyer, login, make_user):
    order = _paid(db_session, en_buyer, [(shop.usd_offer.id, 1), (shop.cny_offer.id, 3)])
    ops = make_user(role=None, staff_role="ops")
    done = settle(order, en_buyer, RefundState.SUCCESS, amount_fen=1_000)
    card = settle(order, en_buyer, RefundState.CHANGE, amount_fen=2_000)
    closed = settle(order, en_buyer, RefundState.REFUNDCLOSE, amount_fen=3_000)
    asked = aftersale.request_refund(order, reason="too dear", requested_by_id=en_buyer.id, amount_fen=500)
    aftersale.decide(order, asked.id, approve=False, actor_id=ops.id, note="The price was agreed when you ordered.")
    login(client, en_buyer)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f'data-refund="{done.id}" data-state="refunded"' in html
    assert f'data-refund="{asked.id}" data-state="rejected"' in html
    assert "Why: The price was agreed when you ordered." in html
    assert f'data-refund-failure="{card.id}"' in html and "Your bank card was cancelled or frozen" in html
    assert f'data-refund-failure="{closed.id}"' in html and "WeChat Pay closed this refund" in html
    assert 'data-refund-label="partly_refunded">Partly refunded' in html
    for event in ("refund_done", "refund_failed", "refund_rejected", "refund_approved", "refund_processing"):
        assert f'data-event="{event}"' in html, event
    listed = client.get("/orders").get_data(as_text=True)
    assert 'data-refund-label="partly_refunded"' in listed


def test_a_refund_in_full_makes_the_order_refunded_and_frees_the_yearly_quota(client, db_session, shop, buyer, login):
    order = _paid(db_session, buyer, [(shop.cny_offer.id, 2)])
    today = catalog.today()
    used = consignees.retail_used_fen(order.consignee_id_hash, today)
    assert used == order.dutiable_fen
    settle(order, buyer, RefundState.SUCCESS)
    db_session.refresh(order)
    assert order.state == OrderState.REFUNDED
    assert consignees.retail_used_fen(order.consignee_id_hash, today) == 0, "the refunded order no longer counts"
    login(client, buyer)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'data-state="refunded">已退款' in html and 'data-event="refunded"' in html
    assert 'data-refund-blocked="nothing_left"' in html
    assert 'state-refunded">已退款' in client.get("/orders?state=refunded").get_data(as_text=True)


def test_shipments_and_customs_show_on_the_order_page(client, db_session, shop, en_buyer, login, make_user):
    order = _paid(db_session, en_buyer, [(shop.cny_offer.id, 1)])
    [declaration] = aftersale.declarations(order)
    from app.payments.models import DECLARATION_MACHINE, DeclarationState

    states.apply(DECLARATION_MACHINE, declaration, DeclarationState.SUBMITTED)
    declaration.cert_check_result = "SAME"
    states.apply(DECLARATION_MACHINE, declaration, DeclarationState.SUCCEEDED)
    ops = make_user(role=None, staff_role="ops")
    aftersale.ship(order, [order.lines[0].id], carrier="SF Express", tracking_no="SF1234567", actor_id=ops.id)
    login(client, en_buyer)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'data-customs-state="succeeded">Cleared' in html and 'data-cert="SAME"' in html
    assert 'data-tracking="SF1234567"' in html and "SF Express" in html and "On its way" in html
    assert 'data-event="customs_cleared"' in html and 'data-event="lines_shipped"' in html
