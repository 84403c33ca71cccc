"""The demo helpdesk after `make run`: every page has something to show, and loading the demo
data again adds nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from app.helpdesk.models import Attachment, CannedReply, SlaBreach, SlaPolicy, Ticket


def test_the_demo_has_tickets_in_every_state_and_loads_once(app, db_session):
    for _name, seed in app.extensions["kj_seeders"]:
        seed()
    counts = [db_session.scalar(select(func.count()).select_from(m))
              for m in (Ticket, CannedReply, SlaPolicy, Attachment, SlaBreach)]
    assert {t.value for t in db_session.scalars(select(Ticket.status))} == {
        "new", "open", "pending_customer", "resolved", "closed"}
    assert counts[2] == 12 and all(counts), counts   # a policy per type and priority; a photo; a breach
    assert db_session.scalar(select(Ticket.id).where(Ticket.rating.is_not(None))) is not None
    for _name, seed in app.extensions["kj_seeders"]:
        seed()
    assert [db_session.scalar(select(func.count()).select_from(m))
            for m in (Ticket, CannedReply, SlaPolicy, Attachment, SlaBreach)] == counts
