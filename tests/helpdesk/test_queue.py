"""The agents' queue: its views, filters and search, due times shown, the same few queries
however many tickets it lists, and a refresh that swaps only when something changed; canned
replies filled safely; assignment texting the agent."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.core.models import utcnow
from app.helpdesk import canned, services
from app.helpdesk.models import CannedReply, Priority, Ticket, TicketStatus, TicketType
from tests.helpdesk.conftest import policy, sms_to


def _open(user, subject: str, kind=TicketType.INQUIRY, **kw) -> Ticket:
    return services.open_ticket(user, user.company_id, type=kind, subject=subject, body="内容", **kw)


def _numbers(html: str) -> list[str]:
    return re.findall(r'data-ticket="(T[0-9A-Z]+)"', html)


@pytest.fixture
def tickets(desk, customer, outsider, agent, other_agent):
    now = utcnow()
    fresh = _open(customer, "新的咨询", now=now - timedelta(minutes=5))
    late = _open(outsider, "破损投诉 overdue", TicketType.COMPLAINT, now=now - timedelta(hours=3))
    mine = _open(customer, "我的工单", now=now - timedelta(minutes=50))
    services.assign(mine, agent, agent.id)
    waiting = _open(customer, "等客户回复")
    services.agent_reply(waiting, other_agent, "请补充订单号。", TicketStatus.PENDING_CUSTOMER)
    done = _open(customer, "已解决的")
    services.agent_reply(done, agent, "好了。", TicketStatus.RESOLVED)
    return {"fresh": fresh, "late": late, "mine": mine, "waiting": waiting, "done": done}


def test_each_view_lists_its_tickets_soonest_due_first(tickets, agent, signed_in, use_config):
    use_config(HELPDESK_SLA_SOON_MINUTES=30)
    desk_user = signed_in(agent)
    n = {k: t.number for k, t in tickets.items()}

    def view(name: str, **args) -> list[str]:
        query = "&".join(f"{k}={v}" for k, v in {"view": name, **args}.items())
        return _numbers(desk_user.get(f"/helpdesk?{query}").get_data(as_text=True))

    assert view("mine") == [n["mine"]]
    assert view("unassigned") == [n["late"], n["fresh"]]           # overdue first
    assert view("pending") == [n["waiting"]]
    assert view("soon") == [n["late"], n["mine"]]          # overdue, and due in 10 minutes (not in 55)
    assert set(view("all")) == set(n.values())
    assert view("all", type="complaint") == [n["late"]]
    assert view("all", status="resolved") == [n["done"]]
    assert view("all", priority="high") == [n["late"]]
    assert view("all", assignee=agent.id) == [n["done"], n["mine"]]
    assert view("all", q="破损") == [n["late"]]
    assert view("all", q="外人") == []                              # a person is no company
    assert view("all", q=n["fresh"].lower()) == [n["fresh"]]
    html = desk_user.get("/helpdesk?view=unassigned").get_data(as_text=True)
    assert "已超时" in html and "后" in html  # overdue, and due later


def test_the_queue_costs_the_same_queries_for_three_or_thirty_tickets(desk, customer, agent, signed_in,
                                                                     count_queries):
    desk_user = signed_in(agent)

    def cost() -> int:
        with count_queries() as seen:
            assert desk_user.get("/helpdesk?view=all").status_code == 200
        return len(seen)

    for n in range(3):
        _open(customer, f"问题 {n}")
    few = cost()
    for n in range(27):
        services.assign(_open(customer, f"更多问题 {n}"), agent, agent.id)
    assert cost() == few


def test_the_refresh_swaps_only_when_a_ticket_changed(tickets, customer, agent, signed_in):
    desk_user = signed_in(agent)
    page = desk_user.get("/helpdesk?view=pending").get_data(as_text=True)
    poll = re.search(r'hx-get="(/helpdesk\?since=[^"]+)"', page).group(1).replace("&amp;", "&")
    htmx = {"HX-Request": "true"}
    assert desk_user.get(poll, headers=htmx).status_code == 204
    services.customer_reply(tickets["waiting"], customer, "订单号是 KJ123。")
    fresh = desk_user.get(poll, headers=htmx)
    body = fresh.get_data(as_text=True)
    # The customer answered: the ticket leaves "waiting for the customer" without a reload.
    assert fresh.status_code == 200 and tickets["waiting"].number not in body and 'id="queue"' in body
    assert "<html" not in body


def test_a_canned_reply_is_filled_as_plain_text(desk, make_user, company, agent, signed_in, db_session):
    sly = make_user(role="buyer", company=company, name="<b>{order_number}</b>")
    ticket = _open(sly, "求助")
    reply = CannedReply(title="问候", body="{customer_name}您好，关于订单{order_number}：{agent_name}为您服务。")
    db_session.add(reply)
    db_session.flush()
    filled = canned.for_ticket(reply.id, ticket, agent)
    # The name is put in once and never read again for placeholders; the order is missing.
    assert filled.text == "<b>{order_number}</b>您好，关于订单{order_number}：客服 小张为您服务。"
    assert filled.missing == ("order_number",)
    html = signed_in(agent).get(f"/helpdesk/tickets/{ticket.id}?canned={reply.id}").get_data(as_text=True)
    assert "&lt;b&gt;{order_number}&lt;/b&gt;您好" in html and "<b>{order_number}" not in html
    assert "该工单缺少以下内容：{order_number}" in html


def test_a_canned_reply_with_an_unknown_placeholder_is_refused(desk, agent, signed_in, db_session):
    refused = signed_in(agent).post("/helpdesk/canned/new", data={"title": "退款", "body": "{custmer_name}您好",
                                                                 "active": "y"})
    assert refused.status_code == 422 and "未知的占位符 {custmer_name}" in refused.get_data(as_text=True)
    assert db_session.query(CannedReply).count() == 0


def test_assigning_texts_the_agent_and_a_priority_change_moves_the_due_time(tickets, desk, agent, other_agent,
                                                                              signed_in, db_session):
    ticket = tickets["fresh"]
    desk_user = signed_in(agent)
    assert desk_user.post(f"/helpdesk/tickets/{ticket.id}/assign",
                          data={"assignee": str(other_agent.id)}).status_code == 303
    assert [m.event for m in sms_to(other_agent.phone)] == ["ticket_assigned"]
    assert ticket.number in sms_to(other_agent.phone)[0].body
    assert desk_user.post(f"/helpdesk/tickets/{ticket.id}/assign", data={"assignee": "999999"}).status_code == 422
    due = ticket.next_due_at
    policy(TicketType.INQUIRY, Priority.URGENT, desk.always, 10, 20, 60)
    assert desk_user.post(f"/helpdesk/tickets/{ticket.id}/details",
                          data={"type": "inquiry", "priority": "urgent"}).status_code == 303
    db_session.refresh(ticket)
    assert ticket.priority == Priority.URGENT and ticket.next_due_at < due


def test_an_agent_with_nothing_of_their_own_starts_on_the_unassigned_view(tickets, make_user, agent, signed_in):
    newcomer = signed_in(make_user(role=None, staff_role="agent", name="新客服"))
    html = newcomer.get("/helpdesk").get_data(as_text=True)
    assert re.search(r'view=unassigned"[^>]*aria-current="page"', html)
    assert _numbers(html) == [tickets["late"].number, tickets["fresh"].number]
    mine = signed_in(agent).get("/helpdesk").get_data(as_text=True)
    assert _numbers(mine) == [tickets["mine"].number]
