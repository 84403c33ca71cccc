"""The order desk's exceptions: refunds WeChat Pay failed (CHANGE, REFUNDCLOSE), refunds held
for the merchant's balance (NOTENOUGH, for platform finance), declarations customs refused;
each with what can be done, and the actions that do it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.audit import AuditEntry
from app.core.jobs import Intent, RetryLater
from app.orders import aftersale
from app.payments import gateway as gw
from app.payments import refunds as money_back
from app.payments.gateway import RefundState
from app.payments.models import Refund, RefundStatus
from tests.orders.test_refund_books import _paid
from tests.orders.test_refund_pages import settle


class ShortOfFunds:
    """WeChat Pay answering a refund with NOTENOUGH: the merchant's balance is short."""

    def refund(self, request):
        raise gw.GatewayRejected("NOTENOUGH", "基本账户余额不足，请充值后重新发起")


@pytest.fixture
def short_of_funds(app, monkeypatch):
    monkeypatch.setitem(app.extensions, "kj_gateway", ShortOfFunds())


def test_each_exception_says_what_to_do_and_finance_acts_on_it(client, db_session, shop, buyer, make_user, login,
                                                              short_of_funds):
    card = settle(_paid(db_session, buyer, [(shop.cny_offer.id, 1)]), buyer, RefundState.CHANGE)
    closed = settle(_paid(db_session, buyer, [(shop.cny_offer.id, 1)]), buyer, RefundState.REFUNDCLOSE)
    order = _paid(db_session, buyer, [(shop.cny_offer.id, 1)])
    held = aftersale.request_refund(order, reason="x", requested_by_id=buyer.id)
    aftersale.decide(order, held.id, approve=True, actor_id=buyer.id)
    with pytest.raises(RetryLater):
        money_back.send(held.id)
    db_session.refresh(held)
    assert held.needs_funds and held.status == RefundStatus.APPROVED
    finance = make_user(role=None, staff_role="finance_admin", language="en")
    login(client, finance)
    html = client.get("/ops/orders/exceptions").get_data(as_text=True)
    assert f'data-refund="{card.id}" data-wechat="CHANGE"' in html and "bank card was cancelled or frozen" in html
    assert f'data-refund="{closed.id}" data-wechat="REFUNDCLOSE"' in html and "WeChat Pay closed the refund" in html
    assert f'data-refund="{held.id}" data-needs-funds' in html and "Top up the balance" in html
    assert html.count("Send again") == 2 and "Send now" in html

    def sends() -> int:
        return [i.args for i in db_session.scalars(select(Intent).where(Intent.task.endswith("send_refund")))].count(
            [held.id])

    before = sends()
    assert client.post(f"/ops/orders/{order.id}/refunds/{held.id}/send").status_code == 303
    assert sends() == before + 1, "sent to WeChat Pay again after the commit"
    [sent] = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "send_now")).all()
    assert sent.actor_id == finance.id and "NOTENOUGH" in sent.note

    number = card.out_refund_no
    assert client.post(f"/ops/orders/{card_order(card)}/refunds/{card.id}/retry").status_code == 303
    db_session.refresh(card)
    assert card.status == RefundStatus.APPROVED and card.out_refund_no == number + "-1", "a new number for WeChat"
    again = client.post(f"/ops/orders/{card_order(card)}/refunds/{card.id}/retry")
    assert again.status_code == 409 and "Only a refund that failed can be sent again." in again.get_data(as_text=True)
    finance.language = "zh_CN"
    db_session.flush()
    again = client.post(f"/ops/orders/{card_order(card)}/refunds/{card.id}/retry", headers={"HX-Request": "true"})
    assert again.status_code == 409 and "只有退款失败的才能重新发起。" in again.get_data(as_text=True)


def card_order(refund: Refund) -> int:
    from app.extensions import db
    from app.orders.services import OWNER
    from app.payments.models import Charge

    charge = db.session.get(Charge, refund.charge_id)
    assert charge.owner_type == OWNER
    return charge.owner_id


def test_the_buyer_never_sees_the_exceptions(client, db_session, shop, buyer, login):
    settle(_paid(db_session, buyer, [(shop.cny_offer.id, 1)]), buyer, RefundState.CHANGE)
    login(client, buyer)
    assert client.get("/ops/orders/exceptions").status_code == 403
