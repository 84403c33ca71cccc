"""Beside the ticket: the customer's company and recent orders with their payment and refund
states, read from a real payment through the WeChat Pay simulator; and a refund an agent
proposes for the customer, which waits for operations to approve it."""
from __future__ import annotations

from sqlalchemy import select

from app.helpdesk import services
from app.helpdesk.models import Message, MessageKind, TicketType
from app.orders import aftersale
from app.payments.models import Refund, RefundStatus
from tests.orders.conftest import make_consignee, shop, wechat  # noqa: F401
from tests.orders.test_aftersale import paid_order
from tests.sandbox_fixtures import sandbox_server  # noqa: F401


def test_an_agent_sees_the_orders_and_proposes_a_refund_that_operations_approve(
        client, wechat, shop, desk, customer, agent, make_user, signed_in, db_session):  # noqa: F811
    make_consignee(customer)
    order = paid_order(client, wechat, customer, [(shop.cny_offer.id, 2)])
    ticket = services.open_ticket(customer, customer.company_id, type=TicketType.COMPLAINT, subject="少发一件",
                                  body="订单少了一瓶。", order_id=order.id)
    desk_user = signed_in(agent)
    page = desk_user.get(f"/helpdesk/tickets/{ticket.id}").get_data(as_text=True)
    assert customer.email in page and order.number in page and "本工单的订单" in page
    assert "已支付" in page and "4200" in page  # paid, with WeChat's transaction id

    too_much = desk_user.post(f"/helpdesk/tickets/{ticket.id}/refund", data={
        "order_id": str(order.id), "amount": f"{order.total_fen / 100 + 1:.2f}", "reason": "少发一瓶"})
    assert too_much.status_code == 422 and "最多还可退" in too_much.get_data(as_text=True)
    assert db_session.scalar(select(Refund.id)) is None

    proposed = desk_user.post(f"/helpdesk/tickets/{ticket.id}/refund",
                              data={"order_id": str(order.id), "amount": "100.00", "reason": "少发一瓶"})
    assert proposed.status_code == 303
    refund = db_session.scalar(select(Refund))
    assert (refund.status, refund.amount_fen, refund.requested_by_id) == (RefundStatus.REQUESTED, 10_000, agent.id)
    assert ticket.number in refund.reason
    note = db_session.scalar(select(Message).where(Message.ticket_id == ticket.id, Message.kind == MessageKind.NOTE))
    assert order.number in note.body and "¥100.00" in note.body
    assert "退款待审核" in desk_user.get(f"/helpdesk/tickets/{ticket.id}/orders/{order.id}").get_data(as_text=True)

    ops = make_user(role=None, staff_role="ops")
    approved = aftersale.decide(order, refund.id, approve=True, actor_id=ops.id, note="核实少发")
    assert approved.status == RefundStatus.APPROVED


def test_an_order_of_another_company_is_not_found_from_a_ticket(desk, customer, outsider, agent, signed_in,
                                                               shop):  # noqa: F811
    make_consignee(outsider)
    from app.orders import services as orders

    foreign = orders.create(outsider, outsider.company_id, [(shop.cny_offer.id, 1)])
    ticket = services.open_ticket(customer, customer.company_id, type=TicketType.INQUIRY, subject="问", body="问题")
    desk_user = signed_in(agent)
    assert desk_user.get(f"/helpdesk/tickets/{ticket.id}/orders/{foreign.id}").status_code == 404
    refused = desk_user.post(f"/helpdesk/tickets/{ticket.id}/refund",
                             data={"order_id": str(foreign.id), "reason": "试试"})
    assert refused.status_code == 404
