"""Another company's buyer finds nothing: every ticket URL of the buyer's pages, every file
and every API route answers 404 for a ticket of another company, whatever the method, and
changes nothing. The list of URLs comes from the URL map, so a route added later is tried too."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from app.helpdesk import services
from app.helpdesk.attachments import Upload
from app.helpdesk.models import Attachment, Message, TicketStatus, TicketType
from tests.api.conftest import api_as, token_for  # noqa: F401
from tests.helpdesk.conftest import png

# What a POST to each route would send, were the ticket the caller's.
BODIES = {"reply": {"message": "别人的工单"}, "rate": {"rating": "5"}, "close": {},
          "post_message": {"message": "别人的工单"}}


@pytest.fixture
def theirs(desk, customer, agent):
    """A resolved ticket of the customer's company, with a photo."""
    ticket = services.open_ticket(customer, customer.company_id, type=TicketType.COMPLAINT, subject="包装破损",
                                  body="照片见附件。", uploads=[Upload("破损.png", png())])
    services.agent_reply(ticket, agent, "已为您登记。", TicketStatus.RESOLVED)
    return ticket


def _ticket_routes(app):
    """(method, rule, endpoint) of every route that names a ticket: the buyer's pages and the API."""
    for rule in app.url_map.iter_rules():
        if "ticket_id" in rule.arguments and (rule.endpoint.startswith("api.") or rule.rule.startswith("/tickets")):
            for method in sorted(rule.methods & {"GET", "POST"}):
                yield method, rule.rule, rule.endpoint


def _url(rule: str, ticket_id: int, attachment_id: int) -> str:
    return re.sub(r"<int:attachment_id>", str(attachment_id), rule.replace("<int:ticket_id>", str(ticket_id)))


def test_every_ticket_url_is_not_found_for_another_companys_buyer(app, theirs, outsider, signed_in,
                                                                  api_as, db_session):  # noqa: F811
    attachment = db_session.scalar(select(Attachment).where(Attachment.ticket_id == theirs.id))
    messages = db_session.scalar(select(Message.id).order_by(Message.id.desc()))
    routes = list(_ticket_routes(app))
    assert {e for _m, _r, e in routes} >= {"helpdesk.ticket", "helpdesk.conversation", "helpdesk.reply",
                                           "helpdesk.close", "helpdesk.rate", "helpdesk.attachment",
                                           "api.get_ticket", "api.post_message", "api.ticket_attachment"}
    browser, api = signed_in(outsider), api_as(outsider)
    answers = {}
    for method, rule, endpoint in routes:
        url = _url(rule, theirs.id, attachment.id)
        body = BODIES.get(endpoint.split(".")[-1], {})
        if endpoint.startswith("api."):
            got = api.get(url) if method == "GET" else api.post(url, json=body)
            answers[f"{method} {url} (token)"] = got.status_code
            got = browser.get(url) if method == "GET" else browser.post(url, json=body)
            answers[f"{method} {url} (session)"] = got.status_code
        else:
            got = browser.get(url) if method == "GET" else browser.post(url, data=body)
            answers[f"{method} {url}"] = got.status_code
    assert answers and set(answers.values()) == {404}, answers
    assert db_session.scalar(select(Message.id).order_by(Message.id.desc())) == messages
    db_session.refresh(theirs)
    assert theirs.status == TicketStatus.RESOLVED and theirs.rated_at is None


def test_the_ticket_list_and_api_list_show_only_the_company_s_own(theirs, outsider, colleague, signed_in,
                                                                  api_as):  # noqa: F811
    assert theirs.number not in signed_in(outsider).get("/tickets").get_data(as_text=True)
    assert api_as(outsider).get("/api/v1/tickets").get_json()["items"] == []
    # A colleague in the same company does see it (the company's tickets are shared).
    assert signed_in(colleague).get(f"/tickets/{theirs.id}").status_code == 200
    assert [t["number"] for t in api_as(colleague).get("/api/v1/tickets").get_json()["items"]] == [theirs.number]


def test_a_buyer_cannot_open_the_agents_pages(theirs, customer, signed_in):
    browser = signed_in(customer)
    for url in ("/helpdesk", f"/helpdesk/tickets/{theirs.id}", "/helpdesk/canned", "/helpdesk/sla",
                "/helpdesk/breaches"):
        assert browser.get(url).status_code == 403, url
    assert browser.post(f"/helpdesk/tickets/{theirs.id}/note", data={"note": "x"}).status_code == 403


def test_a_file_of_another_ticket_is_not_found_under_ones_own(desk, theirs, outsider, signed_in, db_session):
    mine = services.open_ticket(outsider, outsider.company_id, type=TicketType.INQUIRY, subject="我的",
                                body="我的问题", uploads=[Upload("mine.png", png())])
    attachment = db_session.scalar(select(Attachment).where(Attachment.ticket_id == theirs.id))
    browser = signed_in(outsider)
    assert browser.get(f"/tickets/{mine.id}/attachments/{attachment.id}").status_code == 404
    assert browser.get(f"/api/v1/tickets/{mine.id}/attachments/{attachment.id}").status_code == 404
    own = db_session.scalar(select(Attachment).where(Attachment.ticket_id == mine.id))
    assert browser.get(f"/tickets/{mine.id}/attachments/{own.id}").status_code == 200
    assert io.BytesIO(browser.get(f"/api/v1/tickets/{mine.id}/attachments/{own.id}").data).read() == png()
