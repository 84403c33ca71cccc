"""Notifications: `notify()`, SMS preferences and the delivery state of a message.

Every function here changes state and flushes; the request or the job commits.
Sending happens in `jobs.send_sms`, an intent written with the message and run after
the commit that created it. Notifications knows no other domain: callers hand it a
`Recipient` (accounts builds one from a user).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import make_transient_to_detached

from app.core import jobs, states
from app.core.models import utcnow
from app.core.validators import normalize_phone
from app.extensions import db
from app.notifications import events
from app.notifications.models import SMS_MACHINE, SmsMessage, SmsProfile, SmsStatus
from app.notifications.provider import Delivered, Rejected, SendResult, SmsRequest


@dataclass(frozen=True)
class Recipient:
    """Someone to text: a phone number and a language, and whose number it is.

    `verified` says the user proved they hold the number; optional messages (orders,
    payments, tickets) to a user go only to a verified number they have not opted out
    of, since anyone can type someone else's number into a profile. Security and
    account messages go regardless, as do messages to a number with no user.
    """

    phone: str
    language: str = "zh_CN"
    user_id: int | None = None
    verified: bool = False


def _about(obj: Any) -> tuple[str | None, int | None]:
    if obj is None:
        return None, None
    if getattr(obj, "id", None) is None:
        db.session.flush()
    return obj.__tablename__, obj.id


def _resolve(recipient: Recipient | tuple[str, str] | None, event: events.SmsEvent) -> Recipient | None:
    if recipient is None:
        return None
    if isinstance(recipient, tuple):
        recipient = Recipient(*recipient)
    phone = normalize_phone(recipient.phone)
    if phone is None:
        raise ValueError(f"not a phone number: {recipient.phone!r}")
    if not event.essential and recipient.user_id is not None:
        if not recipient.verified:
            return None
        profile = db.session.get(SmsProfile, recipient.user_id)
        if profile is not None and event.category in (profile.opted_out or []):
            return None
    return Recipient(phone, events.language_for(recipient.language), recipient.user_id, recipient.verified)


def notify(event: str, recipient: Recipient | tuple[str, str] | None, *, about: Any = None,
           dedup_key: str | None = None, expires_at: datetime | None = None,
           **params: Any) -> SmsMessage | None:
    """Queue the SMS for `event` to `recipient`; a job sends it after the commit.

    `recipient` is a Recipient or a (phone, language) pair; None (no usable phone),
    an unverified number for an optional category, or an opted-out category give
    None. `about` is the row the message is about. `dedup_key` makes the call
    idempotent: a second call with the same key returns the first message; without
    one, the key is the event, the `about` row and the phone. A message with
    `expires_at` (a one-time code's expiry) fails instead of going out late. Raises
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
    values = {p: str(params[p]) for p in ev.params}
    sign = events.sign_for(to.phone, to.language)
    now = utcnow()
    row = dict(phone=to.phone, language=to.language, event=ev.name, category=ev.category,
               template_code=current_app.config["SMS_TEMPLATE_IDS"][f"{ev.name}.{to.language}"], params=values,
               body=events.render(ev, to.language, sign, values), status=SmsStatus.QUEUED, attempts=0,
               next_attempt_at=now, dedup_key=dedup_key, user_id=to.user_id, about_type=about_type,
               about_id=about_id, expires_at=expires_at, created_at=now, updated_at=now)
    # One statement whatever happens: another transaction (or an earlier call) that created
    # this event's message first wins, and that message is the answer.
    message_id = jobs.insert_once(SmsMessage, row, "dedup_key")
    if message_id is None:
        return db.session.scalar(select(SmsMessage).where(SmsMessage.dedup_key == dedup_key))
    message = SmsMessage(id=message_id, **row)
    make_transient_to_detached(message)  # it is in the database as it stands: no reload
    db.session.add(message)
    _send_later(message)
    return message


def _send_later(message: SmsMessage, delay: int | None = None) -> None:
    from app.notifications.jobs import send_sms

    jobs.after_commit(send_sms, message.id, key=f"sms:{message.id}:{message.attempts}", delay=delay)


def withdraw(message_id: int, code: str, reason: str | None = None) -> bool:
    """Stop a message that has not gone out yet (a code replaced by a newer one).

    True when it was still queued and is now failed with `code`; a message already
    sending or sent is left as it is.
    """
    message = db.session.get(SmsMessage, message_id, with_for_update=True, populate_existing=True)
    if message is None or message.status != SmsStatus.QUEUED:
        return False
    fail(message, code, reason or REASONS.get(code, code))
    return True


REASONS = {
    "superseded": "superseded: not sent, a newer code replaced this one.",
    "expired": "expired: not sent, it was out of date before it could be sent.",
}


# --- preferences ---------------------------------------------------------------------

def profile_for(user_id: int, create: bool = False) -> SmsProfile | None:
    profile = db.session.get(SmsProfile, user_id)
    if profile is None and create:
        profile = SmsProfile(user_id=user_id, opted_out=[])
        db.session.add(profile)
    return profile


def receives(user_id: int) -> list[str]:
    """The optional categories `user_id` gets by SMS (all, unless they opted out)."""
    profile = profile_for(user_id)
    out = set((profile and profile.opted_out) or [])
    return [c for c in events.OPTIONAL_CATEGORIES if c not in out]


def set_opt_outs(user_id: int, categories: set[str]) -> SmsProfile:
    """Record which optional categories the user does not want by SMS; others are ignored."""
    profile = profile_for(user_id, create=True)
    profile.opted_out = sorted(c for c in categories if c in events.OPTIONAL_CATEGORIES)
    db.session.flush()
    return profile


# --- delivery -------------------------------------------------------------------------

def claim(message_id: int, now: datetime | None = None) -> SmsMessage | None:
    """Lock a due message and mark it `sending`; None when there is nothing to send now.

    A job run twice, or racing another for the same message, finds the row locked or
    no longer queued and does nothing: one message goes out once. A message still
    `sending` long after its job's time limit lost its worker: a one-time code is then
    failed (the provider may have sent it), anything else is claimed again within its
    retry budget. An out-of-date message (past its expiry) is failed instead and
    returned with that status.
    """
    now = now or utcnow()
    cfg = current_app.config
    message = db.session.scalar(
        select(SmsMessage).where(SmsMessage.id == message_id).with_for_update(skip_locked=True)
        .execution_options(populate_existing=True))
    if message is None:
        return None
    if message.status == SmsStatus.SENDING:
        if message.updated_at > now - timedelta(seconds=cfg["SMS_SENDING_TIMEOUT_SECONDS"]):
            raise SendInProgress(message_id)
        if events.get(message.event).at_most_once:
            fail(message, "outcome-unknown", "outcome unknown: the worker stopped while sending; "
                 "not sent again, the user can ask for a new code.", now=now)
            return message
        if message.attempts > len(cfg["SMS_RETRY_DELAYS"]):
            fail(message, "worker-stopped", "The worker stopped while sending, "
                 f"{message.attempts} times; gave up.", now=now)
            return message
        message.last_error = "The worker stopped while sending; trying again."
    # One second of slack for the scheduler's clock; an earlier run is a stray duplicate.
    elif message.status != SmsStatus.QUEUED or message.next_attempt_at > now + timedelta(seconds=1):
        return None
    if message.expires_at is not None and message.expires_at <= now:
        fail(message, "expired", REASONS["expired"], now=now)
        return message
    states.apply(SMS_MACHINE, message, SmsStatus.SENDING, at=now)
    message.attempts += 1
    message.updated_at = now
    db.session.flush()
    return message


class SendInProgress(jobs.RetryLater):
    """Another run is sending this message right now; this run tries again later."""


def request_for(message: SmsMessage) -> SmsRequest:
    ev = events.get(message.event)
    return SmsRequest(phone=message.phone, template_code=message.template_code,
                      params=tuple(str(message.params[p]) for p in ev.params),
                      sign_name=events.sign_for(message.phone, message.language), text=message.body,
                      reference=f"sms:{message.id}")


def record(message: SmsMessage, result: SendResult, now: datetime | None = None) -> int | None:
    """Store the provider's answer; a retryable error queues the next attempt.

    Retryable errors wait SMS_RETRY_DELAYS[attempt - 1] seconds (the next send is an
    intent of its own, after this commit); once those are used up, or at once for an
    error that retrying cannot fix, the message fails with the provider's reason.
    Returns the delay before the retry, or None.
    """
    now = now or utcnow()
    if isinstance(result, Delivered):
        states.apply(SMS_MACHINE, message, SmsStatus.SENT, at=now)
        message.provider_id = result.provider_id
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
        states.apply(SMS_MACHINE, message, SmsStatus.QUEUED, at=now)
        message.next_attempt_at = now + timedelta(seconds=delay)
        db.session.flush()
        _send_later(message, delay)
        return delay
    if result.retryable:
        message.last_error = f"{message.last_error} (gave up after {message.attempts} attempts)"
    fail(message, message.error_code, message.last_error, now=now)
    return None


def fail(message: SmsMessage, code: str, reason: str, *, now: datetime | None = None) -> None:
    """Give up on `message` for good, with the reason shown on the outbox page."""
    states.apply(SMS_MACHINE, message, SmsStatus.FAILED, at=now)
    message.error_code = code[:100]
    message.last_error = reason
    message.forget_secrets()
    db.session.flush()


def outbox_page(page: int, per_page: int = 50) -> tuple[list[SmsMessage], bool]:
    """Newest messages first; the flag says whether there is a next page."""
    rows = list(db.session.scalars(
        select(SmsMessage).order_by(SmsMessage.id.desc())
        .offset((page - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


def shown_texts(messages: list[SmsMessage]) -> dict[int, str]:
    """Each message's text as staff may read it: secrets masked, except that in
    development (SMS_OUTBOX_SHOWS_CODES) a message the outbox provider delivered shows
    what it delivered, code or link included. Production never shows them."""
    from app.notifications.provider import outbox_texts

    shown = {m.id: m.shown_body for m in messages}
    if current_app.config.get("SMS_OUTBOX_SHOWS_CODES"):
        delivered = outbox_texts([m.provider_id for m in messages if m.provider == "outbox" and m.provider_id
                                  and events.get(m.event).secret])
        shown.update({m.id: delivered[m.provider_id] for m in messages if m.provider_id in delivered})
    return shown
