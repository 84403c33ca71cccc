"""In real Chromium against the portal served over HTTP: an agent answers a new ticket with a
canned reply (inserted in place, filled from the ticket) while the buyer's page, open all
along, shows the answer and the new status without a reload."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from app.helpdesk import services
from app.helpdesk.models import CannedReply, TicketType
from tests.orders.test_pay_browser import DESKTOP, sign_in


def _set_up(live_server) -> dict:
    def build(f):
        from app.helpdesk.models import Calendar, Priority, SlaPolicy

        always = Calendar(name="24×7", always_open=True, hours=[], holidays=[])
        f.session.add(always)
        f.session.flush()
        f.session.add(SlaPolicy(ticket_type=TicketType.COMPLAINT, priority=Priority.HIGH, calendar_id=always.id,
                                first_response_minutes=60, next_response_minutes=120, resolution_minutes=480))
        f.session.add(CannedReply(title="致歉并跟进", body="{customer_name}您好，非常抱歉给您带来不便。"
                                                       "工单{ticket_number}已由{agent_name}跟进，我们今天内答复您。"))
        buyer = f.user(role="owner", name="赵采购")
        agent = f.user(role=None, staff_role="agent", name="客服 小周")
        ticket = services.open_ticket(buyer, buyer.company_id, type=TicketType.COMPLAINT, subject="到货少了一箱",
                                      body="订单到货少了一箱，请核实。")
        return {"buyer": buyer.email, "agent": agent.email, "ticket": ticket.id, "number": ticket.number}

    return live_server.commit(build)


def test_an_agent_answers_with_a_canned_reply_and_the_buyer_sees_it_without_reloading(
        live_server, page: Page, browser, monkeypatch):
    monkeypatch.setitem(live_server.app.config, "HELPDESK_POLL_SECONDS", 1)
    data = _set_up(live_server)
    base = live_server.url
    page.set_viewport_size(DESKTOP)
    sign_in(page, base, data["buyer"])
    page.goto(f"{base}/tickets/{data['ticket']}")
    expect(page.locator("#ticket-status [data-status]")).to_have_text("已受理")
    page.evaluate("window.kjStillHere = true")  # gone if the page reloads

    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    problems: list[str] = []
    agent = desk.new_page()
    agent.on("pageerror", lambda e: problems.append(str(e)))
    try:
        sign_in(agent, base, data["agent"])
        agent.goto(f"{base}/helpdesk?view=unassigned")
        agent.get_by_role("link", name="到货少了一箱").click()
        agent.get_by_label("快捷回复").select_option(label="致歉并跟进")
        agent.get_by_role("button", name="插入").click()
        expected = f"赵采购您好，非常抱歉给您带来不便。工单{data['number']}已由客服 小周跟进，我们今天内答复您。"
        expect(agent.locator("#message")).to_have_value(expected)
        assert agent.url.endswith(f"/helpdesk/tickets/{data['ticket']}")  # filled in place, not a new page
        agent.get_by_role("button", name="发送回复").click()
        expect(agent.locator(".flash-success")).to_contain_text("回复已发送给客户")
    finally:
        desk.close()
    assert not problems, problems

    reply = page.locator('.conversation [data-kind="agent"]')
    expect(reply).to_contain_text(expected, timeout=5_000)
    expect(reply).to_contain_text("客服 小周")
    expect(page.locator("#ticket-status [data-status]")).to_have_text("等待您回复")
    assert page.evaluate("window.kjStillHere === true"), "the buyer's page reloaded"


