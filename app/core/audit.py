"""The audit log: every state change applied through `core.states.apply`, with who and when.

It is written in the same transaction as the change it records (a listener on
`states.apply`), so the log and the state can never disagree. Domains add entries of
their own (an operator's action that changes no state) with `record()`.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from app.core import states
from app.core.models import utcnow
from app.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(60))        # "state" for transitions, else the action
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str | None] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)


def _subject(obj: Any) -> tuple[str, int]:
    if getattr(obj, "id", None) is None:
        db.session.flush()
    return obj.__tablename__, obj.id


def record(obj: Any, action: str, *, actor_id: int | None = None, note: str | None = None,
           at: datetime | None = None) -> AuditEntry:
    """Add an entry about `obj` (a row) that is not a state change: say, an operator's re-query."""
    subject_type, subject_id = _subject(obj)
    entry = AuditEntry(subject_type=subject_type, subject_id=subject_id, action=action,
                       actor_id=actor_id, note=note, at=at or utcnow())
    db.session.add(entry)
    return entry


# Intents and SMS change state constantly and are their own record; the log is for people.
QUIET_MACHINES = {"intent", "sms"}


def _on_transition(t: states.Transition) -> None:
    if t.machine in QUIET_MACHINES or not hasattr(t.obj, "__tablename__"):
        return
    subject_type, subject_id = _subject(t.obj)
    db.session.add(AuditEntry(subject_type=subject_type, subject_id=subject_id, action="state",
                              from_state=t.from_state.value, to_state=t.to_state.value,
                              actor_id=t.actor_id, note=t.note, at=t.at))


def history(obj: Any) -> list[AuditEntry]:
    """Everything recorded about `obj`, oldest first."""
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.subject_type == obj.__tablename__, AuditEntry.subject_id == obj.id).order_by(AuditEntry.id)))


def init_app(app) -> None:
    states.listen(_on_transition)
