"""The agents' queue over 50,000 tickets in requests per second, as ratios to the bare
"fortunes" page of bench/http_home.py (same servers, same wrk runs, same round-trip count).

The bench database gets BENCH_TICKETS tickets (default 50,000) from 200 companies over a
year, most of them closed, the active ones spread over the demo agent and ten others, with
their first messages; the pages are signed in as seed-demo's agent. Each view is one page
of 25; "all, 40 pages in" starts from a cursor 1,000 tickets deep, to show that a page
costs the same queries wherever it starts.
Goal: every queue view at least as fast as the bare page (ratio >= 1).

    TEST_DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/helpdesk_queue.py   (make bench runs it)
"""
from __future__ import annotations

import os
import random
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.http_home import measure, ready  # noqa: E402

TICKETS = int(os.environ.get("BENCH_TICKETS", "50000"))
COMPANIES, AGENTS = 200, 10
AGENT = {"email": "agent@demo.test", "password": "demo-pass-2026", "name": "客服 张"}  # from `flask seed-demo`
SUBJECTS = ["面霜包装破损", "发票抬头需要修改", "清关进度查询", "少发了一件", "希望增加按供应商筛选", "退款什么时候到账",
            "物流单号查不到", "跨境额度怎么计算", "能否开具增值税专用发票", "商品与描述不符"]
# Of a year of tickets, most are done; a few hundred wait for someone.
STATUSES = [("closed", 80), ("resolved", 8), ("pending_customer", 5), ("open", 5), ("new", 2)]
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _number(n: int) -> str:
    """A ticket number of its own for the n-th bench ticket (dated 1999, so none is a real one)."""
    digits = ""
    for _ in range(6):
        n, r = divmod(n, 32)
        digits = _ALPHABET[r] + digits
    return "T990101" + digits


def _people(db) -> tuple[list[tuple[int, int]], list[int]]:
    """(company id, owner id) of the bench companies and the ids of the agents, made once."""
    from sqlalchemy import insert, select

    from app.accounts.models import BuyerRole, Company, Membership, StaffRole, User
    from app.accounts.passwords import hash_password
    from app.core.validators import uscc_check_char

    password = hash_password("bench-pass-2026")
    if db.session.scalar(select(Company.id).where(Company.name == "基准公司 0")) is None:
        for n in range(COMPANIES):
            code = f"91440300MB{n:07d}"
            company = Company(name=f"基准公司 {n}", credit_code=code + uscc_check_char(code),
                              contact_phone="+8613700000000")
            owner = User(email=f"bench-owner-{n}@bench.test", name=f"采购 {n}", password_hash=password)
            db.session.add_all([company, owner, Membership(user=owner, company=company, role=BuyerRole.OWNER)])
        db.session.execute(insert(User), [{"email": f"bench-agent-{n}@bench.test", "name": f"客服 {n}",
                                           "password_hash": password, "staff_role": StaffRole.AGENT,
                                           "language": "zh_CN", "session_token": f"bench-{n}", "active": True}
                                          for n in range(AGENTS)])
        db.session.flush()
    owners = list(db.session.execute(select(Membership.company_id, Membership.user_id).join(Company)
                                     .where(Company.name.like("基准公司 %"))).tuples())
    agents = list(db.session.scalars(select(User.id).where(User.staff_role == StaffRole.AGENT)))
    return owners, agents


def fill(count: int) -> tuple[int, int, int]:
    """(tickets, the demo agent's active tickets, the id 1,000 tickets below the newest): tops
    the bench database up to `count` tickets."""
    from sqlalchemy import func, insert, select

    from app import create_app
    from app.core.db import batches
    from app.core.models import utcnow
    from app.extensions import db
    from app.accounts.models import User
    from app.helpdesk.models import NEVER, Message, MessageKind, Priority, Ticket, TicketStatus, TicketType

    rng = random.Random(20261208)
    app = create_app()
    with app.app_context():
        have = db.session.scalar(select(func.count(Ticket.id)))
        if have < count:
            owners, agents = _people(db)
            now = utcnow()
            statuses = [s for s, weight in STATUSES for _ in range(weight)]
            priorities = [Priority.LOW, Priority.NORMAL, Priority.NORMAL, Priority.HIGH, Priority.URGENT]
            rows = []
            for n in range(have, count):
                company_id, requester_id = rng.choice(owners)
                status = rng.choice(statuses)
                created = now - timedelta(minutes=rng.randint(10, 365 * 24 * 60))
                active = status in ("new", "open")
                due = now + timedelta(minutes=rng.randint(-180, 24 * 60)) if active else None
                rows.append({
                    "number": _number(n), "company_id": company_id, "requester_id": requester_id,
                    "type": rng.choice(list(TicketType)), "status": TicketStatus(status),
                    "priority": rng.choice(priorities),
                    "subject": f"{rng.choice(SUBJECTS)} #{n}",
                    "assignee_id": None if status == "new" else rng.choice(agents),
                    "next_due_at": due, "due_sort": due or NEVER, "last_message_at": created,
                    "last_message_by": "customer" if status in ("new", "open") else "agent",
                    "resolved_at": created + timedelta(hours=3) if status in ("resolved", "closed") else None,
                    "closed_at": created + timedelta(days=7) if status == "closed" else None,
                    "created_at": created, "updated_at": created + timedelta(hours=rng.randint(0, 48))})
            for batch in batches(rows, per_item=len(rows[0])):
                ids = db.session.scalars(insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True),
                                         list(batch)).all()
                messages = [{"ticket_id": i, "author_id": r["requester_id"], "kind": MessageKind.CUSTOMER,
                             "body": f"{r['subject']}：请尽快处理，谢谢。", "created_at": r["created_at"]}
                            for i, r in zip(ids, batch)]
                db.session.execute(insert(Message), messages)
            db.session.commit()
            # As autovacuum would after a load like this: the planner's statistics, and the
            # visibility map that lets the queues' counts read their partial indexes alone.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE helpdesk_tickets, helpdesk_messages")
        agent = db.session.scalar(select(User.id).where(User.email == AGENT["email"]))
        total = db.session.scalar(select(func.count(Ticket.id)))
        mine = db.session.scalar(select(func.count(Ticket.id)).where(
            Ticket.assignee_id == agent, Ticket.status.in_(["new", "open", "pending_customer"])))
        deep = db.session.scalar(select(Ticket.id).order_by(Ticket.id.desc()).offset(1000).limit(1))
        db.session.remove()
    return total, mine, deep


def main() -> None:
    from app.core import paging

    ready()
    total, mine, deep = fill(TICKETS)
    pages = {"/hello": "/hello", "queue, mine": "/helpdesk", "queue, unassigned": "/helpdesk?view=unassigned",
             "queue, soon": "/helpdesk?view=soon", "queue, all": "/helpdesk?view=all",
             "all, 40 pages in": f"/helpdesk?view=all&after={paging.encode('queue-newest', (deep + 1,))}"}
    measure(pages, f"{total:,} tickets; the agent has {mine} active ones; signed in as {AGENT['email']}",
            [name for name in pages if name != "/hello"], account=AGENT)


if __name__ == "__main__":
    main()
