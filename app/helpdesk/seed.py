"""Demo helpdesk: a 24×7 and a business-hours calendar, a policy for every type and priority,
canned replies, and the demo company's tickets in every state (one about an order, one
with an attachment, an internal note, a rating, a breached target), plus one of the
other company's, so that every helpdesk page shows something after `make run`."""
from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import func, select

from app.core.models import utcnow
from app.extensions import db
from app.helpdesk.attachments import Upload
from app.helpdesk.models import Calendar, CannedReply, Priority, SlaClock, SlaPolicy, Ticket, TicketStatus, TicketType

ALWAYS, OFFICE = "24×7", "北京工作时间"
WORKDAY = [[9 * 60, 12 * 60], [13 * 60, 18 * 60]]
HOLIDAYS = ["2026-01-01", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
            "2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"]
# Minutes: first response, next response, resolution; suggestions are read in office hours.
TARGETS = {Priority.URGENT: (15, 30, 4 * 60), Priority.HIGH: (60, 120, 8 * 60),
           Priority.NORMAL: (4 * 60, 8 * 60, 24 * 60), Priority.LOW: (8 * 60, 16 * 60, 5 * 24 * 60)}
CANNED = [
    ("问候与确认", "{customer_name}您好，感谢您联系跨境采购客服。我们已收到您关于订单{order_number}的问题，"
                   "正在核实，稍后给您答复。"),
    ("退款已提交", "{customer_name}您好，我们已为订单{order_number}（金额{order_total}）提交退款申请，"
                   "运营审核通过后款项将原路退回。目前该订单已退款{order_refunded}。"),
    ("物流查询", "{customer_name}您好，订单{order_number}的物流信息请在订单页查看运单号。清关通常需要 1–3 个工作日，"
                 "如有延误我们会主动联系您。"),
    ("Greeting (English)", "Hello {customer_name}, thank you for contacting Kuajing support about order "
                           "{order_number}. We are looking into it and will get back to you shortly. — {agent_name}"),
]


def _calendars() -> tuple[Calendar, Calendar]:
    found = {c.name: c for c in db.session.scalars(select(Calendar))}
    always = found.get(ALWAYS) or Calendar(name=ALWAYS, always_open=True, hours=[], holidays=[])
    office = found.get(OFFICE) or Calendar(name=OFFICE, always_open=False, hours=[WORKDAY] * 5 + [[], []],
                                           holidays=HOLIDAYS)
    db.session.add_all([always, office])
    db.session.flush()
    return always, office


def _policies(always: Calendar, office: Calendar) -> int:
    have = set(db.session.execute(select(SlaPolicy.ticket_type, SlaPolicy.priority)).all())
    added = 0
    for kind in TicketType:
        for priority, (first, following, resolution) in TARGETS.items():
            if (kind, priority) in have:
                continue
            calendar = office if kind == TicketType.SUGGESTION else always
            db.session.add(SlaPolicy(ticket_type=kind, priority=priority, calendar_id=calendar.id,
                                     first_response_minutes=first, next_response_minutes=following,
                                     resolution_minutes=resolution))
            added += 1
    return added


def _canned(agent) -> None:
    have = set(db.session.scalars(select(CannedReply.title)))
    for title, body in CANNED:
        if title not in have:
            db.session.add(CannedReply(title=title, body=body, updated_by_id=agent.id if agent else None))


def _picture() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 180), "#f6f8fa")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 300, 160), outline="#067d42", width=4)
    draw.line((40, 60, 280, 60), fill="#cf222e", width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _demo_order(owner, company_id: int):
    """The owner's first order, or a new one from the demo catalog (waiting for payment)."""
    from app.catalog.models import Offer
    from app.orders import Order, services as orders

    found = db.session.scalar(select(Order).where(Order.company_id == company_id).order_by(Order.id))
    if found is not None:
        return found
    offer = db.session.scalar(select(Offer).where(Offer.active.is_(True), Offer.moq == 1,
                                                  Offer.order_increment == 1).order_by(Offer.id))
    return orders.create(owner, company_id, [(offer.id, 1)]) if offer is not None else None


def _tickets(owner, finance, other, agent) -> int:
    from app.helpdesk import jobs, services

    now = utcnow()
    company = owner.company_id
    order = _demo_order(owner, company)
    new = services.open_ticket(owner, company, type=TicketType.COMPLAINT, subject="收到的面霜包装破损",
                               body="今天收到货，外包装压坏了，其中一瓶有渗漏。照片见附件，请尽快处理。",
                               order_id=order.id if order else None, uploads=[Upload("破损照片.png", _picture())],
                               now=now - timedelta(minutes=40))
    waiting = services.open_ticket(owner, company, type=TicketType.INQUIRY, subject="跨境零售年度额度怎么计算？",
                                   body="我们有位收货人今年已经买了不少，想确认还剩多少额度。", now=now - timedelta(days=2))
    services.agent_reply(waiting, agent, "您好，年度额度为每人 26,000 元，按收货人身份证号累计。请问是哪位收货人？",
                         now=now - timedelta(days=2) + timedelta(hours=3))
    services.customer_reply(waiting, owner, "收货人是张三，麻烦帮忙查一下。", now=now - timedelta(hours=30))
    pending = services.open_ticket(finance, company, type=TicketType.INQUIRY, subject="十月对账单缺少一笔退款",
                                   body="十月的对账单里没有看到 10 月 12 日那笔退款，请核实。", now=now - timedelta(hours=5))
    services.add_note(pending, agent, "已在账务系统查到退款在 11 月入账，等客户确认对账区间。", now=now - timedelta(hours=4))
    services.agent_reply(pending, agent, "您好，这笔退款是 11 月 2 日到账的，会出现在十一月的对账单中。请问您需要的是哪个区间？",
                         now=now - timedelta(hours=4))
    resolved = services.open_ticket(owner, company, type=TicketType.SUGGESTION, subject="希望支持按供应商筛选订单",
                                    body="订单多了以后想按供应商看，能否加个筛选？", now=now - timedelta(days=3))
    services.agent_reply(resolved, agent, "感谢建议！我们已记录并转给产品团队。", then=TicketStatus.RESOLVED,
                         now=now - timedelta(days=2))
    closed = services.open_ticket(owner, company, type=TicketType.INQUIRY, subject="如何添加新的收货人？",
                                  body="想给仓库同事也设置成收货人。", now=now - timedelta(days=6))
    services.agent_reply(closed, agent, "在购物车页面点击“修改收货人”即可添加，已为您截图说明。", then=TicketStatus.RESOLVED,
                         now=now - timedelta(days=6) + timedelta(hours=1))
    services.rate(closed, owner, 5, "很快就解决了，谢谢！", now=now - timedelta(days=5))
    services.close(closed, owner, now=now - timedelta(days=5))
    services.open_ticket(other, other.company_id, type=TicketType.COMPLAINT, subject="发票抬头错误",
                         body="上周的订单发票抬头写错了，需要重开。", now=now - timedelta(minutes=10))
    db.session.flush()
    # The two-day-old question's response targets have passed: record them as the jobs would.
    for clock in db.session.scalars(select(SlaClock).where(SlaClock.ticket_id == waiting.id,
                                                           SlaClock.due_at < now)):
        jobs.sla_breach(clock.id, int(clock.due_at.timestamp()), now=now)
    return 6


def seed_demo() -> str:
    from app import accounts

    always, office = _calendars()
    added = _policies(always, office)
    agent = accounts.find_user_by_email("agent@demo.test")
    _canned(agent)
    owner, finance, other = (accounts.find_user_by_email(e) for e in
                             ("buyer@demo.test", "finance@demo.test", "other@demo.test"))
    tickets = 0
    if owner and finance and other and agent and not db.session.scalar(
            select(func.count(Ticket.id)).where(Ticket.company_id == owner.company_id)):
        tickets = _tickets(owner, finance, other, agent)
    db.session.flush()
    return f"2 calendars, {added} SLA policies added, {len(CANNED)} canned replies, {tickets} tickets"
