"""RQ jobs: send one SMS, and sweep up messages whose job was lost.

Jobs are enqueued only after the commit that created their message: `notify()`
notes the message id on the session and the `after_commit` hook below enqueues it.
When Redis is down at that moment the message simply stays queued in the database
and `sweep()` (run every minute by `rq cron app.notifications.cron`) enqueues it
once Redis is back.
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.core.jobs import job_context
from app.extensions import db
from app.notifications.models import SmsStatus

log = logging.getLogger(__name__)

_PENDING = "kj_sms_enqueue"
_JOB_OPTIONS = {"job_timeout": 60, "failure_ttl": 7 * 24 * 3600}


# --- enqueue after commit --------------------------------------------------------------

def enqueue_after_commit(message_id: int) -> None:
    """Send `message_id` once the current transaction commits (never if it rolls back)."""
    db.session.info.setdefault(_PENDING, []).append(message_id)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # SQLAlchemy also fires after_commit when a SAVEPOINT is released (notify() uses one
    # per message); only the outermost commit makes the messages visible to a worker.
    if session.get_nested_transaction() is not None:
        return
    pending = session.info.pop(_PENDING, None)
    if pending and has_app_context():
        enqueue(pending)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    # A savepoint rolling back leaves the outer transaction (and its messages) alive.
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def enqueue(message_ids: list[int], delay: int | None = None) -> int:
    """Put a send job per message on the queue; returns how many reached Redis.

    A Redis failure is logged, not raised: the messages stay queued in the
    database and the sweep sends them later.
    """
    from redis.exceptions import RedisError

    from app.core.redis import queue

    done = 0
    try:
        q = queue()
        if delay:
            for message_id in message_ids:
                q.enqueue_in(timedelta(seconds=delay), send_sms, message_id, **_JOB_OPTIONS)
                done += 1
        else:
            # One round trip for a whole transaction's messages.
            q.enqueue_many([q.prepare_data(send_sms, (message_id,), timeout=_JOB_OPTIONS["job_timeout"],
                                           failure_ttl=_JOB_OPTIONS["failure_ttl"])
                            for message_id in message_ids])
            done = len(message_ids)
    except (RedisError, OSError) as e:
        log.warning("sms: could not enqueue %d message(s), the sweep will retry: %s",
                    len(message_ids) - done, e)
    return done




# --- jobs ---------------------------------------------------------------------------------

def send_sms(message_id: int) -> str:
    """Send one message through the configured provider; reschedule it on a retryable error.

    Safe to run any number of times: only the run that claims the queued message
    sends it. Returns what happened, for the job's result.
    """
    from app.notifications import services
    from app.notifications.models import SmsMessage
    from app.notifications.provider import Rejected, get_provider

    with job_context():
        message = services.claim(message_id)
        if message is None:
            db.session.rollback()
            return "skipped"
        if message.status != SmsStatus.SENDING:  # out of date: failed instead of sent
            status = message.status.value
            db.session.commit()
            return status
        # The claim stands whatever happens next: `sending` is visible, the row unlocked,
        # and an error below can no longer roll the message back to `queued` for ever.
        db.session.commit()
        try:
            provider = get_provider()
            request = services.request_for(message)
        except Exception as e:  # a setting or data error: retrying cannot fix it
            log.exception("sms %s: could not prepare the message", message_id)
            db.session.rollback()
            message = db.session.get(SmsMessage, message_id, with_for_update=True, populate_existing=True)
            services.fail(message, type(e).__name__,
                          f"{type(e).__name__}: not sent, the message could not be prepared: {e}"[:1000])
            db.session.commit()
            return "failed"
        try:
            result = provider.send(request)
        except Exception as e:  # an adapter bug must not leave the message stuck in `sending`
            log.exception("sms %s: provider %s raised", message_id, provider.name)
            result = Rejected(type(e).__name__, str(e)[:500], True)
        delay, status = _store_result(message_id, provider.name, result)
        if delay:
            enqueue([message_id], delay=delay)
        return status


def _store_result(message_id: int, provider_name: str, result) -> tuple[int | None, str]:
    """Record the provider's answer in one short transaction, committed right away.

    Once the provider has the message, its id in our row is what stops a resend;
    a brief database error is retried rather than leaving the row `sending`.
    """
    from sqlalchemy.exc import InterfaceError, OperationalError

    from app.notifications import services
    from app.notifications.models import SmsMessage

    for attempt in range(1, 4):
        try:
            message = db.session.get(SmsMessage, message_id, with_for_update=True, populate_existing=True)
            message.provider = provider_name
            delay = services.record(message, result)
            status = message.status.value
            db.session.commit()
            return delay, status
        except (OperationalError, InterfaceError):
            db.session.rollback()
            if attempt == 3:
                log.error("sms %s: the provider answered %r but it could not be stored", message_id, result)
                raise
            time.sleep(attempt)
    raise AssertionError("unreachable")


def sweep() -> int:
    """Enqueue every message that is overdue and not going to be sent otherwise."""
    from app.notifications import services

    with job_context():
        ids = services.lost_messages()
        db.session.commit()
        if ids:
            log.info("sms sweep: re-enqueueing %d message(s)", len(ids))
        return enqueue(ids) if ids else 0
