"""SMS messages (the outbox) and per-user SMS preferences."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core import states
from app.core.models import TimestampMixin, utcnow
from app.extensions import db


class SmsStatus(str, enum.Enum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


# A message is sent at most once per claim; `sending` → `sending` is a claim taken over
# from a worker that died mid-send; `sending` → `queued` waits for a retry.
SMS_MACHINE = states.Machine.of("sms", {
    SmsStatus.QUEUED: {SmsStatus.SENDING, SmsStatus.FAILED},
    SmsStatus.SENDING: {SmsStatus.SENDING, SmsStatus.SENT, SmsStatus.QUEUED, SmsStatus.FAILED},
}, stamps={SmsStatus.SENT: "sent_at", SmsStatus.FAILED: "failed_at"})


def _values(e: type[enum.Enum]) -> list[str]:
    return [m.value for m in e]


class SmsMessage(TimestampMixin, db.Model):
    """One SMS to one phone number, from creation to its final status.

    The row is the outbox: it is created in the transaction of the event it is
    about, and a job sends it after that transaction commits.
    """

    __tablename__ = "sms_messages"
    __table_args__ = (
        Index("ix_sms_messages_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_sms_messages_phone_created_at", "phone", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    language: Mapped[str] = mapped_column(String(10))
    event: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(20))
    template_code: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[SmsStatus] = mapped_column(
        Enum(SmsStatus, name="sms_status", values_callable=_values), default=SmsStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    provider: Mapped[str | None] = mapped_column(String(20))
    provider_id: Mapped[str | None] = mapped_column(String(100))
    error_code: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    # One event sends one message: a second notify() with the same key returns the first.
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    about_type: Mapped[str | None] = mapped_column(String(40))
    about_id: Mapped[int | None]
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    # Past this moment the message is worthless (a one-time code's expiry): never sent then.
    expires_at: Mapped[datetime | None]
    # The RQ job of the intent that sends it next (app.core.jobs), for support.
    job_id: Mapped[str | None] = mapped_column(String(64))

    @property
    def is_final(self) -> bool:
        return self.status in (SmsStatus.SENT, SmsStatus.FAILED)

    @property
    def shown_body(self) -> str:
        """The text as staff may see it: one-time codes and invitation links masked."""
        from app.notifications import events

        return events.masked(events.get(self.event), self.params or {}, self.body)[1]

    def forget_secrets(self) -> None:
        """Replace secret parameters in `params` and `body` by a mask (once sent or failed)."""
        from app.notifications import events

        self.params, self.body = events.masked(events.get(self.event), self.params or {}, self.body)


class SmsProfile(TimestampMixin, db.Model):
    """A user's SMS preferences: the optional categories they do not want."""

    __tablename__ = "sms_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    opted_out: Mapped[list[str]] = mapped_column(JSON, default=list)
