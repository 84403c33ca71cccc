"""Internal notes are for agents only: no page, fragment, JSON answer or SMS the buyer gets
ever carries one, nor a file attached to one."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from app.helpdesk import services
from app.helpdesk.models import Attachment, TicketStatus, TicketType
from app.notifications.models import SmsMessage
from tests.api.conftest import api_as, token_for  # noqa: F401

SECRET = "内部：客户上月两次拒收，谨慎退款"


def _ticket_with_a_note(customer, agent):
    ticket = services.open_ticket(customer, customer.company_id, type=TicketType.COMPLAINT, subject="拒收后的退款",
                                  body="退款什么时候到？")
    services.add_note(ticket, agent, SECRET)
    services.agent_reply(ticket, agent, "我们正在核实，请稍候。", TicketStatus.PENDING_CUSTOMER)
    return ticket


def test_a_note_never_reaches_the_buyer_on_pages_or_sms(desk, customer, agent, signed_in, db_session):
    ticket = _ticket_with_a_note(customer, agent)
    buyer = signed_in(customer)
    pages = {url: buyer.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
             for url in ("/tickets", f"/tickets/{ticket.id}", f"/tickets/{ticket.id}/conversation?v=stale")}
    assert "我们正在核实" in pages[f"/tickets/{ticket.id}/conversation?v=stale"]
    for url, html in pages.items():
        assert SECRET not in html and 'data-kind="note"' not in html, url
    assert all(SECRET not in m.body for m in db_session.scalars(select(SmsMessage)))
    assert db_session.scalars(select(SmsMessage.event)).all() == ["ticket_replied"]
    # The agent does see it, marked as internal.
    desk_page = signed_in(agent).get(f"/helpdesk/tickets/{ticket.id}").get_data(as_text=True)
    assert SECRET in desk_page and 'data-kind="note"' in desk_page


def test_a_note_never_reaches_the_buyer_through_the_api(desk, customer, agent, api_as):  # noqa: F811
    ticket = _ticket_with_a_note(customer, agent)
    api = api_as(customer)
    one = api.get(f"/api/v1/tickets/{ticket.id}")
    assert one.status_code == 200 and SECRET not in one.get_data(as_text=True)
    assert [m["from"] for m in one.get_json()["messages"]] == ["customer", "agent"]
    assert SECRET not in api.get("/api/v1/tickets").get_data(as_text=True)
    answered = api.post(f"/api/v1/tickets/{ticket.id}/messages", json={"message": "好的，等你们消息。"})
    assert answered.status_code == 201 and SECRET not in answered.get_data(as_text=True)


def test_a_file_on_a_note_is_not_served_to_the_buyer(desk, customer, agent, signed_in, db_session):
    ticket = _ticket_with_a_note(customer, agent)
    note = services.add_note(ticket, agent, "截图见附件")
    from app.core import files

    stored = files.store("tickets", b"%PDF-1.4 internal", suffix=".pdf")
    item = Attachment(message_id=note.id, ticket_id=ticket.id, filename="内部.pdf", content_type="application/pdf",
                      size=stored.size, sha256=stored.sha256, key=stored.key, created_at=datetime.now(timezone.utc))
    db_session.add(item)
    db_session.flush()
    url = f"/tickets/{ticket.id}/attachments/{item.id}"
    assert signed_in(customer).get(url).status_code == 404
    assert signed_in(customer).get(f"/api/v1/tickets/{ticket.id}/attachments/{item.id}").status_code == 404
    assert signed_in(agent).get(url).status_code == 200
