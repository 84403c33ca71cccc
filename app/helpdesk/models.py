"""Tickets, their conversation and attachments, SLA calendars, policies, clocks and breaches,
and the team's canned replies.

A ticket belongs to a buyer company and was opened by one of its people; agents answer it.
Its messages are the customer's, the agents' public replies and the agents' internal notes
(never shown to the buyer). Each SLA target of a ticket (first response, next response,
resolution) is a clock that runs in its calendar's working time, pauses while the ticket
waits for the customer and stops when the target is met; a clock that passes its due time
leaves a breach record for reporting.
"""
from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, SmallInteger, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import states
from app.core.models import TimestampMixin, utcnow
from app.extensions import db

# Where a ticket without a running clock sorts in a queue ordered by due time: last.
NEVER = datetime(9999, 12, 31, tzinfo=timezone.utc)


def _values(e: type[enum.Enum]) -> list[str]:
    return [m.value for m in e]


def _enum(e: type[enum.Enum], name: str) -> Enum:
    return Enum(e, name=name, values_callable=_values)


class TicketType(str, enum.Enum):
    COMPLAINT = "complaint"
    INQUIRY = "inquiry"
    SUGGESTION = "suggestion"


class Priority(str, enum.Enum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketStatus(str, enum.Enum):
    NEW = "new"                            # nobody has answered yet
    OPEN = "open"                          # being worked on
    PENDING_CUSTOMER = "pending_customer"  # waiting for the customer: the SLA clocks pause
    RESOLVED = "resolved"                  # answered; a customer reply reopens it
    CLOSED = "closed"                      # done for good


ACTIVE = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER)
WORKING = (TicketStatus.NEW, TicketStatus.OPEN)
# The same as SQL with literal values: a query must name a partial index's condition
# exactly as written (a bound parameter would not match it), so queues filter with these.
ACTIVE_SQL = "status IN ('new', 'open', 'pending_customer')"
WORKING_SQL = "status IN ('new', 'open')"

# A customer reply reopens a ticket waiting for them or resolved; closed is final (a new
# question is a new ticket).
TICKET_MACHINE = states.Machine.of("ticket", {
    TicketStatus.NEW: {TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.OPEN: {TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.PENDING_CUSTOMER: {TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.RESOLVED: {TicketStatus.OPEN, TicketStatus.CLOSED},
}, stamps={TicketStatus.RESOLVED: "resolved_at", TicketStatus.CLOSED: "closed_at"})


class MessageKind(str, enum.Enum):
    CUSTOMER = "customer"
    AGENT = "agent"      # a public reply
    NOTE = "note"        # internal: agents only


class SlaTarget(str, enum.Enum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class Ticket(TimestampMixin, db.Model):
    __tablename__ = "helpdesk_tickets"
    __table_args__ = (
        Index("ix_helpdesk_tickets_company", "company_id", "id"),
        Index("ix_helpdesk_tickets_assignee", "assignee_id", "id"),
        # The queues' walks: only the few active tickets, in due order, whatever the history.
        Index("ix_helpdesk_tickets_active_assignee", "assignee_id", "due_sort", "id",
              postgresql_where=text(ACTIVE_SQL), sqlite_where=text(ACTIVE_SQL)),
        Index("ix_helpdesk_tickets_working_due", "due_sort", "id",
              postgresql_where=text(WORKING_SQL), sqlite_where=text(WORKING_SQL)),
        Index("ix_helpdesk_tickets_status_updated", "status", "updated_at", "id"),
        Index("ix_helpdesk_tickets_updated", "updated_at"),
        Index("ix_helpdesk_tickets_subject_trgm", "subject", postgresql_using="gin",
              postgresql_ops={"subject": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    type: Mapped[TicketType] = mapped_column(_enum(TicketType, "helpdesk_ticket_type"))
    priority: Mapped[Priority] = mapped_column(_enum(Priority, "helpdesk_priority"), default=Priority.NORMAL)
    status: Mapped[TicketStatus] = mapped_column(_enum(TicketStatus, "helpdesk_ticket_status"),
                                                 default=TicketStatus.NEW)
    subject: Mapped[str] = mapped_column(String(200))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("helpdesk_sla_policies.id", ondelete="SET NULL"))
    # The earliest due time of its running clocks (None: none runs), and the same as a sort
    # key that is never null, so that queues ordered by it walk an index.
    next_due_at: Mapped[datetime | None]
    due_sort: Mapped[datetime] = mapped_column(default=NEVER)
    # Who spoke last in public ("customer" or "agent") and when: the queue's "customer replied".
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_by: Mapped[str] = mapped_column(String(10), default="customer")
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    rating_comment: Mapped[str | None] = mapped_column(String(1000))
    rated_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def awaiting_agent(self) -> bool:
        """The customer spoke last and nobody has answered since."""
        return self.last_message_by == "customer" and self.status in (TicketStatus.NEW, TicketStatus.OPEN)


class Message(db.Model):
    __tablename__ = "helpdesk_messages"
    __table_args__ = (Index("ix_helpdesk_messages_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("helpdesk_tickets.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[MessageKind] = mapped_column(_enum(MessageKind, "helpdesk_message_kind"))
    body: Mapped[str] = mapped_column(String(5000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id", lazy="raise")

    @property
    def public(self) -> bool:
        return self.kind != MessageKind.NOTE


class Attachment(db.Model):
    """A file sent with a public message, kept by core.files outside the web root."""

    __tablename__ = "helpdesk_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("helpdesk_messages.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("helpdesk_tickets.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Calendar(TimestampMixin, db.Model):
    """When SLA time runs: around the clock, or working hours per weekday minus holidays."""

    __tablename__ = "helpdesk_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai")
    always_open: Mapped[bool] = mapped_column(default=True)
    # Seven lists (Monday first) of [start, end) minutes after midnight, local time.
    hours: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Days without working time ("2026-10-01"), local dates.
    holidays: Mapped[list[Any]] = mapped_column(JSON, default=list)


class SlaPolicy(TimestampMixin, db.Model):
    """The targets of one ticket type at one priority, counted in a calendar's time."""

    __tablename__ = "helpdesk_sla_policies"
    __table_args__ = (UniqueConstraint("ticket_type", "priority", name="uq_helpdesk_sla_policies_type_priority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_type: Mapped[TicketType] = mapped_column(_enum(TicketType, "helpdesk_ticket_type"))
    priority: Mapped[Priority] = mapped_column(_enum(Priority, "helpdesk_priority"))
    calendar_id: Mapped[int] = mapped_column(ForeignKey("helpdesk_calendars.id"))
    first_response_minutes: Mapped[int]
    next_response_minutes: Mapped[int]
    resolution_minutes: Mapped[int]

    calendar: Mapped[Calendar] = relationship(lazy="joined")

    def minutes(self, target: SlaTarget) -> int:
        return getattr(self, f"{target.value}_minutes")


class SlaClock(db.Model):
    """One SLA target of one ticket: running (due_at set), paused, or done.

    `elapsed_seconds` is the calendar time used up before the last pause; while it runs,
    the due time is `target_seconds - elapsed_seconds` of calendar time after `running_since`.
    """

    __tablename__ = "helpdesk_sla_clocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("helpdesk_tickets.id", ondelete="CASCADE"), index=True)
    target: Mapped[SlaTarget] = mapped_column(_enum(SlaTarget, "helpdesk_sla_target"))
    calendar_id: Mapped[int] = mapped_column(ForeignKey("helpdesk_calendars.id"))
    target_seconds: Mapped[int]
    elapsed_seconds: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    running_since: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    warned_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]

    @property
    def running(self) -> bool:
        return self.running_since is not None

    @property
    def paused(self) -> bool:
        return self.running_since is None and self.done_at is None


class SlaBreach(db.Model):
    """A clock that passed its due time, as it stood then: the rows SLA reports count."""

    __tablename__ = "helpdesk_sla_breaches"

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("helpdesk_sla_clocks.id", ondelete="CASCADE"), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("helpdesk_tickets.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    target: Mapped[SlaTarget] = mapped_column(_enum(SlaTarget, "helpdesk_sla_target"))
    ticket_type: Mapped[TicketType] = mapped_column(_enum(TicketType, "helpdesk_ticket_type"))
    priority: Mapped[Priority] = mapped_column(_enum(Priority, "helpdesk_priority"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_at: Mapped[datetime]
    breached_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class CannedReply(TimestampMixin, db.Model):
    """A reply the team reuses; placeholders such as {customer_name} are filled per ticket."""

    __tablename__ = "helpdesk_canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80), unique=True)
    body: Mapped[str] = mapped_column(String(5000))
    active: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
