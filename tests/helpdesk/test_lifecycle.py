"""A ticket's whole life through the pages, as the buyer and an agent use them: opened about
an order with a photo, found in the queue, answered with a canned reply, the customer
texted and answering back (which reopens it), resolved, rated once, closed for good."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.core import audit
from app.helpdesk.models import CannedReply, Message, Ticket, TicketStatus
from app.orders import services as orders
from tests.helpdesk.conftest import png, sms_to
from tests.orders.conftest import make_consignee, shop  # noqa: F401


@pytest.fixture
def order(shop, customer):  # noqa: F811
    make_consignee(customer)
    return orders.create(customer, customer.company_id, [(shop.cny_offer.id, 2)])


def _ticket(db_session) -> Ticket:
    return db_session.scalar(select(Ticket).order_by(Ticket.id.desc()))


def test_a_ticket_from_opening_to_rating_and_closing(desk, customer, agent, order, signed_in, db_session):
    buyer, desk_user = signed_in(customer), signed_in(agent)
    order_page = buyer.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f'href="/tickets/new?order_id={order.id}" data-ask-about-order>就此订单咨询客服' in order_page
    form = buyer.get(f"/tickets/new?order_id={order.id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{order.id}">|<option value="{order.id}" selected>', form)

    opened = buyer.post("/tickets/new", data={
        "type": "complaint", "subject": "面霜包装破损", "message": "收到的两瓶有一瓶漏了。", "order_id": str(order.id),
        "attachments": [(__import__("io").BytesIO(png()), "破损.png")]}, content_type="multipart/form-data")
    assert opened.status_code == 303
    ticket = _ticket(db_session)
    assert (ticket.status, ticket.order_id, ticket.requester_id) == (TicketStatus.NEW, order.id, customer.id)
    page = buyer.get(opened.headers["Location"]).get_data(as_text=True)
    assert "收到的两瓶有一瓶漏了。" in page and "破损.png" in page and 'data-status="new"' in page

    queue = desk_user.get("/helpdesk?view=unassigned").get_data(as_text=True)
    assert f'data-ticket="{ticket.number}"' in queue and "data-waiting" in queue

    canned = CannedReply(title="致歉", body="{customer_name}您好，订单{order_number}（{order_total}）的问题我们已收到。")
    db_session.add(canned)
    db_session.flush()
    compose = desk_user.get(f"/helpdesk/tickets/{ticket.id}?canned={canned.id}").get_data(as_text=True)
    filled = f"王采购您好，订单{order.number}（¥{order.total_fen / 100:,.2f}）的问题我们已收到。"
    assert filled in compose

    sent = desk_user.post(f"/helpdesk/tickets/{ticket.id}/reply",
                          data={"message": filled, "then": "pending_customer"}, content_type="multipart/form-data")
    assert sent.status_code == 303
    db_session.refresh(ticket)
    assert ticket.status == TicketStatus.PENDING_CUSTOMER and ticket.assignee_id == agent.id
    assert [m.event for m in sms_to(customer.phone)] == ["ticket_replied"]
    page = buyer.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert filled in page and "客服 小张" in page and 'data-status="pending_customer"' in page

    assert buyer.post(f"/tickets/{ticket.id}/reply", data={"message": "需要我寄回吗？"},
                      content_type="multipart/form-data").status_code == 303
    db_session.refresh(ticket)
    assert ticket.status == TicketStatus.OPEN and ticket.awaiting_agent

    assert desk_user.post(f"/helpdesk/tickets/{ticket.id}/status", data={"status": "resolved"}).status_code == 303
    db_session.refresh(ticket)
    assert ticket.status == TicketStatus.RESOLVED
    assert [m.event for m in sms_to(customer.phone)] == ["ticket_replied", "ticket_resolved"]

    assert buyer.post(f"/tickets/{ticket.id}/rate", data={"rating": "5", "comment": "处理很快"}).status_code == 303
    again = buyer.post(f"/tickets/{ticket.id}/rate", data={"rating": "1"})
    assert again.status_code == 409 and "该工单已经评过分了" in again.get_data(as_text=True)
    db_session.refresh(ticket)
    assert (ticket.rating, ticket.rating_comment) == (5, "处理很快")

    assert buyer.post(f"/tickets/{ticket.id}/close").status_code == 303
    db_session.refresh(ticket)
    assert ticket.status == TicketStatus.CLOSED
    late = buyer.post(f"/tickets/{ticket.id}/reply", data={"message": "还有问题"}, content_type="multipart/form-data")
    assert late.status_code == 409 and "工单已关闭" in late.get_data(as_text=True)

    changes = [(e.from_state, e.to_state, e.actor_id) for e in audit.history(ticket) if e.action == "state"]
    assert changes == [("new", "pending_customer", agent.id), ("pending_customer", "open", customer.id),
                       ("open", "resolved", agent.id), ("resolved", "closed", customer.id)]


def test_the_buyer_page_learns_of_a_reply_without_a_reload(desk, customer, agent, signed_in, db_session):
    buyer, desk_user = signed_in(customer), signed_in(agent)
    buyer.post("/tickets/new", data={"type": "inquiry", "subject": "发票", "message": "怎么开发票？"},
               content_type="multipart/form-data")
    ticket = _ticket(db_session)
    page = buyer.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    poll = re.search(r'hx-get="([^"]*/conversation\?v=[^"]+)" hx-trigger="every \d+s"', page).group(1)
    poll = poll.replace("&amp;", "&")
    htmx = {"HX-Request": "true"}
    assert buyer.get(poll, headers=htmx).status_code == 204  # nothing new: nothing swapped

    desk_user.post(f"/helpdesk/tickets/{ticket.id}/reply", data={"message": "在订单页下载。", "then": "resolved"},
                   content_type="multipart/form-data")
    fresh = buyer.get(poll, headers=htmx)
    body = fresh.get_data(as_text=True)
    assert fresh.status_code == 200 and "在订单页下载。" in body
    assert 'id="ticket-status" hx-swap-oob="true"' in body and 'data-status="resolved"' in body
    assert 'id="rate"' in body  # the rating form arrives with the resolution


def test_bad_input_is_explained_and_nothing_is_written(desk, customer, signed_in, db_session, outsider,
                                                       shop):  # noqa: F811
    buyer = signed_in(customer)
    make_consignee(outsider)
    foreign = orders.create(outsider, outsider.company_id, [(shop.cny_offer.id, 1)]).id
    blank = buyer.post("/tickets/new", data={"type": "inquiry", "subject": "\u3000", "message": " "},
                       content_type="multipart/form-data")
    assert blank.status_code == 422 and "此项为必填" in blank.get_data(as_text=True)
    theirs = buyer.post("/tickets/new", data={"type": "inquiry", "subject": "别人的订单", "message": "看看",
                                              "order_id": str(foreign)}, content_type="multipart/form-data")
    assert theirs.status_code == 422 and "请选择贵公司的订单" in theirs.get_data(as_text=True)
    wrong_kind = buyer.post("/tickets/new", data={"type": "refund", "subject": "x", "message": "y"},
                            content_type="multipart/form-data")
    assert wrong_kind.status_code == 422
    assert db_session.scalar(select(Ticket.id)) is None and db_session.scalar(select(Message.id)) is None


def test_ticket_sms_follow_each_persons_preferences(desk, customer, agent, other_agent, db_session):
    from app.helpdesk import services
    from app.helpdesk.models import TicketType
    from app.notifications.services import set_opt_outs

    set_opt_outs(customer.id, {"helpdesk"})
    set_opt_outs(other_agent.id, {"helpdesk"})
    ticket = services.open_ticket(customer, customer.company_id, type=TicketType.INQUIRY, subject="运费", body="怎么算？")
    services.agent_reply(ticket, agent, "按重量计。", TicketStatus.RESOLVED)
    services.assign(ticket, agent, other_agent.id)
    assert sms_to(customer.phone) == [] and sms_to(other_agent.phone) == []
    set_opt_outs(customer.id, set())
    services.customer_reply(ticket, customer, "谢谢，还有一个问题。")
    services.agent_reply(ticket, other_agent, "请讲。", TicketStatus.PENDING_CUSTOMER)
    assert [m.event for m in sms_to(customer.phone)] == ["ticket_replied"]
