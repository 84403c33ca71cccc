"""Notifications: `notify()`, SMS preferences and the delivery state of a message.

Every function here changes state and flushes; the request or the job commits.
Sending happens in `jobs.send_sms`, after the commit that created the message.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.core.models import utcnow
from app.core.validators import normalize_phone
from app.extensions import db
from app.notifications import events
from app.notifications.models import PhoneCode, SmsMessage, SmsProfile, SmsStatus
from app.notifications.provider import Delivered, Rejected, SendResult, SmsRequest


@dataclass(frozen=True)
class Recipient:
    """Someone to text who may not have an account: a phone number and a language."""

    phone: str
    language: str = "zh_CN"
    user_id: int | None = None


def _about(obj: Any) -> tuple[str | None, int | None]:
    if obj is None:
        return None, None
    if getattr(obj, "id", None) is None:
        db.session.flush()
    return obj.__tablename__, obj.id


def _resolve(recipient: User | Recipient | tuple[str, str], event: events.SmsEvent) -> Recipient | None:
    if isinstance(recipient, tuple):
        recipient = Recipient(*recipient)
    if isinstance(recipient, Recipient):
        phone = normalize_phone(recipient.phone)
        if phone is None:
            raise ValueError(f"not a phone number: {recipient.phone!r}")
        return Recipient(phone, events.language_for(recipient.language), recipient.user_id)
    user = recipient
    phone = normalize_phone(user.phone or "")
    if phone is None or not user.active:
        return None
    if not event.essential:
        # Optional news only to a number the user proved they hold: anyone can type
        # someone else's number into a profile. Security and account messages still go.
        profile = db.session.get(SmsProfile, user.id)
        if profile is None or profile.verified_phone != phone:
            return None
        if event.category in (profile.opted_out or []):
            return None
    return Recipient(phone, events.language_for(user.language), user.id)


def notify(event: str, recipient: User | Recipient | tuple[str, str], *, about: Any = None,
           dedup_key: str | None = None, expires_at: datetime | None = None,
           **params: Any) -> SmsMessage | None:
    """Queue the SMS for `event` to `recipient`; it is sent by a job after the commit.

    `recipient` is a User (their phone and language; None is returned when they have
    no usable phone, or for an optional category when their number is not verified or
    they opted out of it) or a Recipient / (phone,
    language) pair. `about` is the row the message is about. `dedup_key` makes the
    call idempotent: a second call with the same key returns the first message;
    without one, the key is the event, the `about` row and the phone. A message
    with `expires_at` (a one-time code's expiry) fails instead of going out late. Raises
    events.UnknownEvent for an event without templates and ValueError for missing
    parameters or a malformed phone number.
    """
    ev = events.get(event)
    missing = [p for p in ev.params if params.get(p) in (None, "")]
    if missing:
        raise ValueError(f"{event}: missing parameters {missing}")
    to = _resolve(recipient, ev)
    if to is None:
        return None
    about_type, about_id = _about(about)
    if dedup_key is None:
        dedup_key = (f"{event}:{about_type}:{about_id}:{to.phone}" if about_type
                     else f"{event}:{uuid.uuid4().hex}")
    existing = db.session.scalar(select(SmsMessage).where(SmsMessage.dedup_key == dedup_key))
    if existing is not None:
        return existing
    cfg = current_app.config
    values = {p: str(params[p]) for p in ev.params}
    sign = events.sign_for(to.phone, to.language)
    from app.notifications.jobs import enqueue_after_commit, new_job_id

    message = SmsMessage(
        phone=to.phone, language=to.language, event=ev.name, category=ev.category,
        template_code=cfg["SMS_TEMPLATE_IDS"][f"{ev.name}.{to.language}"], params=values,
        body=events.render(ev, to.language, sign, values), status=SmsStatus.QUEUED,
        next_attempt_at=utcnow(), dedup_key=dedup_key, user_id=to.user_id,
        about_type=about_type, about_id=about_id, expires_at=expires_at, job_id=new_job_id())
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        # Another transaction created the same event's message first: that one stands.
        return db.session.scalar(select(SmsMessage).where(SmsMessage.dedup_key == dedup_key))
    enqueue_after_commit(message.id, message.job_id)
    return message


# --- preferences ---------------------------------------------------------------------

def profile_for(user: User, create: bool = False) -> SmsProfile | None:
    profile = db.session.get(SmsProfile, user.id)
    if profile is None and create:
        profile = SmsProfile(user_id=user.id, opted_out=[])
        db.session.add(profile)
    return profile


def phone_is_verified(user: User) -> bool:
    profile = profile_for(user)
    return bool(profile and user.phone and profile.verified_phone == user.phone)


def set_opt_outs(user: User, categories: set[str]) -> SmsProfile:
    """Record which optional categories the user does not want by SMS; others are ignored."""
    profile = profile_for(user, create=True)
    profile.opted_out = sorted(c for c in categories if c in events.OPTIONAL_CATEGORIES)
    db.session.flush()
    return profile


# --- delivery -------------------------------------------------------------------------

def _stale(message: SmsMessage, now: datetime) -> tuple[str, str] | None:
    """Why a queued message must not go out any more (code and reason), or None."""
    if message.expires_at is not None and message.expires_at <= now:
        return "expired", "expired: not sent, it was out of date before it could be sent."
    if message.about_type == PhoneCode.__tablename__ and message.about_id is not None:
        code = db.session.get(PhoneCode, message.about_id)
        if code is None or code.voided_at is not None or code.consumed_at is not None:
            return "superseded", "superseded: not sent, a newer code replaced this one."
    return None


def claim(message_id: int, now: datetime | None = None) -> SmsMessage | None:
    """Lock a due, queued message and mark it `sending`; None when there is nothing to send.

    A job run twice, or a job racing another for the same message, finds the row
    locked or no longer queued and does nothing: one message goes out once. A
    message that is out of date (expired, or a code replaced by a newer one) is
    marked failed instead and returned with that status.
    """
    now = now or utcnow()
    message = db.session.scalar(
        select(SmsMessage).where(SmsMessage.id == message_id).with_for_update(skip_locked=True))
    # One second of slack for the scheduler's clock; an earlier run is a stray duplicate.
    if message is None or message.status != SmsStatus.QUEUED or message.next_attempt_at > now + timedelta(seconds=1):
        return None
    stale = _stale(message, now)
    if stale:
        fail(message, *stale, now=now)
        return message
    message.status = SmsStatus.SENDING
    message.attempts += 1
    db.session.flush()
    return message


def request_for(message: SmsMessage) -> SmsRequest:
    ev = events.get(message.event)
    return SmsRequest(phone=message.phone, template_code=message.template_code,
                      params=tuple(str(message.params[p]) for p in ev.params),
                      sign_name=events.sign_for(message.phone, message.language), text=message.body,
                      reference=f"sms:{message.id}")


def record(message: SmsMessage, result: SendResult, now: datetime | None = None) -> int | None:
    """Store the provider's answer. Returns the delay in seconds before a retry, or None.

    Retryable errors wait SMS_RETRY_DELAYS[attempt - 1] seconds; once those are used
    up, or at once for an error that retrying cannot fix, the message fails with the
    provider's reason.
    """
    now = now or utcnow()
    if isinstance(result, Delivered):
        message.status = SmsStatus.SENT
        message.provider_id = result.provider_id
        message.sent_at = now
        message.forget_secrets()
        db.session.flush()
        return None
    assert isinstance(result, Rejected)
    delays = current_app.config["SMS_RETRY_DELAYS"]
    message.error_code = result.code[:100]
    message.last_error = f"{result.code}: {result.message}"
    if result.ambiguous and events.get(message.event).at_most_once:
        # The provider may have sent it: a second code SMS is worse than none (the user
        # can ask for a new code). Other events are retried: at-least-once delivery.
        fail(message, "outcome-unknown", f"outcome unknown, not sent again: {message.last_error}", now=now)
        return None
    if result.retryable and message.attempts <= len(delays):
        delay = delays[message.attempts - 1]
        message.status = SmsStatus.QUEUED
        message.next_attempt_at = now + timedelta(seconds=delay)
        db.session.flush()
        return delay
    if result.retryable:
        message.last_error = f"{message.last_error} (gave up after {message.attempts} attempts)"
    fail(message, message.error_code, message.last_error, now=now)
    return None


def fail(message: SmsMessage, code: str, reason: str, *, now: datetime | None = None) -> None:
    """Give up on `message` for good, with the reason shown on the outbox page."""
    message.status = SmsStatus.FAILED
    message.failed_at = now or utcnow()
    message.error_code = code[:100]
    message.last_error = reason
    message.forget_secrets()
    db.session.flush()


def lost_messages(now: datetime | None = None, limit: int = 500) -> list[SmsMessage]:
    """Messages that may never be sent otherwise: queued and overdue (their job may never
    have reached Redis: the caller checks their `job_id`), or stuck `sending` (their
    worker died). Stuck ones are queued again with no job, except one-time codes: the
    provider may have sent those, so they fail with the outcome unknown."""
    now = now or utcnow()
    cfg = current_app.config
    stuck_before = now - timedelta(seconds=cfg["SMS_SENDING_TIMEOUT_SECONDS"])
    for message in db.session.scalars(
            select(SmsMessage).where(SmsMessage.status == SmsStatus.SENDING, SmsMessage.updated_at < stuck_before)
            .order_by(SmsMessage.id).limit(limit).with_for_update(skip_locked=True)):
        if events.get(message.event).at_most_once:
            fail(message, "outcome-unknown", "outcome unknown: the worker stopped while sending; "
                 "not sent again, the user can ask for a new code.", now=now)
        elif message.attempts > len(cfg["SMS_RETRY_DELAYS"]):
            fail(message, "worker-stopped", "The worker stopped while sending, "
                 f"{message.attempts} times; gave up.", now=now)
        else:
            message.status = SmsStatus.QUEUED
            message.next_attempt_at = now
            message.job_id = None
            message.last_error = "The worker stopped while sending; trying again."
    db.session.flush()
    overdue = now - timedelta(seconds=cfg["SMS_SWEEP_GRACE_SECONDS"])
    return list(db.session.scalars(
        select(SmsMessage).where(SmsMessage.status == SmsStatus.QUEUED,
                                 (SmsMessage.next_attempt_at < overdue) | SmsMessage.job_id.is_(None))
        .order_by(SmsMessage.next_attempt_at).limit(limit)))


def outbox_page(page: int, per_page: int = 50) -> tuple[list[SmsMessage], bool]:
    """Newest messages first; the flag says whether there is a next page."""
    rows = list(db.session.scalars(
        select(SmsMessage).order_by(SmsMessage.id.desc())
        .offset((page - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page
