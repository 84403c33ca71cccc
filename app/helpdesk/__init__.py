"""The helpdesk: tickets from buyers (complaints, inquiries, suggestions), answered by agents
around the clock under SLA targets, with canned replies, internal notes, attachments and
the customer's orders beside each ticket.

Other domains use:
    models: Ticket, TicketStatus, TicketType, Priority, Message, MessageKind, Attachment
    services.open_ticket / customer_reply / get      what the API does for a buyer
    queries.api_page(company_id, ...) / conversation(ticket, internal=False)   lists in a fixed number of queries
    attachments.send(attachment)                     a stored file, once the caller checked who asks
Templates of other domains link to `helpdesk.new_ticket` (with `order_id`) to ask about an order.
"""
from __future__ import annotations

from flask import Flask

from app.helpdesk.models import Attachment, Message, MessageKind, Priority, Ticket, TicketStatus, TicketType

__all__ = ["Attachment", "Message", "MessageKind", "Priority", "Ticket", "TicketStatus", "TicketType", "register"]


def register(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from app.core import navigation
    from app.core.cli import add_seeder
    from app.helpdesk import admin_views, agent_views, seed, texts, views  # noqa: F401  (routes on views.bp)

    app.register_blueprint(views.bp)
    app.add_template_filter(texts.beijing, "helpdesk_time")
    add_seeder(app, "helpdesk", seed.seed_demo)
    navigation.add(app, "helpdesk.tickets", _l("Support"), views.CUSTOMERS, order=60)
    navigation.add(app, "helpdesk.queue", _l("Helpdesk"), views.AGENTS, order=50)
