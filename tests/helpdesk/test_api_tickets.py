"""The JSON API for tickets: open one, list the company's (newest first, in pages), read one
with its conversation, write to it; strict input, the one error envelope."""
from __future__ import annotations

from app.helpdesk import services
from app.helpdesk.models import Ticket, TicketStatus
from tests.api.conftest import api_as, token_for  # noqa: F401
from tests.helpdesk.conftest import sms_to


def test_open_read_and_answer_a_ticket(desk, customer, agent, api_as, db_session):  # noqa: F811
    api = api_as(customer)
    created = api.post("/api/v1/tickets", json={"type": "inquiry", "subject": " 发票抬头 ", "message": "怎么改发票抬头？"})
    assert created.status_code == 201
    body = created.get_json()
    assert (body["status"], body["priority"], body["subject"]) == ("new", "normal", "发票抬头")
    assert [(m["from"], m["body"]) for m in body["messages"]] == [("customer", "怎么改发票抬头？")]

    ticket = db_session.get(Ticket, body["id"])
    services.agent_reply(ticket, agent, "在账户页修改。", TicketStatus.PENDING_CUSTOMER)
    read = api.get(f"/api/v1/tickets/{ticket.id}").get_json()
    assert read["status"] == "pending_customer" and read["messages"][-1]["author"] == "客服 小张"

    answered = api.post(f"/api/v1/tickets/{ticket.id}/messages", json={"message": "找到了，谢谢。"})
    assert answered.status_code == 201 and answered.get_json()["status"] == "open"
    assert [m["from"] for m in answered.get_json()["messages"]] == ["customer", "agent", "customer"]
    assert [m.event for m in sms_to(customer.phone)] == ["ticket_replied"]

    services.close(ticket, customer)
    closed = api.post(f"/api/v1/tickets/{ticket.id}/messages", json={"message": "还有一个问题"})
    assert closed.status_code == 409 and closed.get_json()["error"]["code"] == "illegal_transition"


def test_a_list_in_pages_newest_first_and_by_status(desk, customer, agent, api_as):  # noqa: F811
    api = api_as(customer)
    ids = [api.post("/api/v1/tickets", json={"type": "suggestion", "subject": f"建议 {n}", "message": "内容"})
           .get_json()["id"] for n in range(3)]
    first = api.get("/api/v1/tickets?limit=2").get_json()
    assert [t["id"] for t in first["items"]] == ids[:0:-1] and first["next_cursor"]
    rest = api.get(f"/api/v1/tickets?limit=2&cursor={first['next_cursor']}").get_json()
    assert [t["id"] for t in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    assert "messages" not in first["items"][0]
    assert api.get("/api/v1/tickets?status=closed").get_json()["items"] == []
    assert api.get("/api/v1/tickets?status=gone").status_code == 400
    assert api.get("/api/v1/tickets?cursor=bm9wZQ").get_json()["error"]["field"] == "cursor"


def test_bad_bodies_are_refused_naming_the_field(desk, customer, make_user, api_as, db_session):  # noqa: F811
    api = api_as(customer)
    cases = [({"type": "refund", "subject": "x", "message": "y"}, "type"),
             ({"type": "inquiry", "subject": "\u3000", "message": "y"}, "subject"),
             ({"type": "inquiry", "subject": "x", "message": "y" * 5001}, "message"),
             ({"type": "inquiry", "subject": "x", "message": "y", "priority": "urgent"}, "priority"),
             ({"type": "inquiry", "subject": "x", "message": "y", "order_id": "12"}, "order_id")]
    for body, field in cases:
        refused = api.post("/api/v1/tickets", json=body)
        assert refused.status_code == 400 and refused.get_json()["error"]["field"] == field, body
    foreign = api.post("/api/v1/tickets", json={"type": "inquiry", "subject": "x", "message": "y", "order_id": 999999})
    assert foreign.status_code == 422 and foreign.get_json()["error"]["field"] == "order_id"
    assert db_session.query(Ticket).count() == 0
    staff = api_as(make_user(role=None, staff_role="agent"))
    assert staff.post("/api/v1/tickets", json={"type": "inquiry", "subject": "x", "message": "y"}).status_code == 403
