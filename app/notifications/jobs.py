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
import uuid
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

def new_job_id() -> str:
    """The id of a message's next send job, recorded on the message before it is enqueued."""
    return f"sms-{uuid.uuid4().hex}"


def enqueue_after_commit(message_id: int, job_id: str) -> None:
    """Send `message_id` once the current transaction commits (never if it rolls back)."""
    db.session.info.setdefault(_PENDING, []).append((message_id, job_id))


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


def enqueue(jobs: list[tuple[int, str]], delay: int | None = None) -> int:
    """Put a send job per (message id, job id) on the queue; returns how many reached Redis.

    The job id is the one recorded on the message, so that the sweep can tell a
    job still waiting in Redis from a lost one. A Redis failure is logged, not
    raised: the messages stay queued in the database and the sweep sends them later.
    """
    from redis.exceptions import RedisError

    from app.core.redis import queue

    done = 0
    try:
        q = queue()
        if delay:
            for message_id, job_id in jobs:
                q.enqueue_in(timedelta(seconds=delay), send_sms, message_id, job_id=job_id, **_JOB_OPTIONS)
                done += 1
        else:
            # One round trip for a whole transaction's messages.
            q.enqueue_many([q.prepare_data(send_sms, (message_id,), timeout=_JOB_OPTIONS["job_timeout"],
                                           failure_ttl=_JOB_OPTIONS["failure_ttl"], job_id=job_id)
                            for message_id, job_id in jobs])
            done = len(jobs)
    except (RedisError, OSError) as e:
        log.warning("sms: could not enqueue %d message(s), the sweep will retry: %s", len(jobs) - done, e)
    return done


def waiting_jobs(job_ids: list[str]) -> set[str]:
    """The ids among `job_ids` whose job is still queued, scheduled or running in Redis."""
    from rq.job import Job, JobStatus

    from app.core.redis import redis_client

    if not job_ids:
        return set()
    alive = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED}
    found = Job.fetch_many(job_ids, connection=redis_client())
    return {job.id for job in found if job is not None and job.get_status(refresh=False) in alive}


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
        delay, status, job_id = _store_result(message_id, provider.name, result)
        if delay:
            enqueue([(message_id, job_id)], delay=delay)
        return status


def _store_result(message_id: int, provider_name: str, result) -> tuple[int | None, str, str | None]:
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
            if delay:
                message.job_id = new_job_id()
            status, job_id = message.status.value, message.job_id
            db.session.commit()
            return delay, status, job_id
        except (OperationalError, InterfaceError):
            db.session.rollback()
            if attempt == 3:
                log.error("sms %s: the provider answered %r but it could not be stored", message_id, result)
                raise
            time.sleep(attempt)
    raise AssertionError("unreachable")


def sweep() -> int:
    """Enqueue every message that is overdue and not going to be sent otherwise.

    A message whose recorded job still waits in Redis (workers lagging behind) is
    left alone: re-enqueueing it would only flood the queue with duplicates.
    """
    from redis.exceptions import RedisError

    from app.notifications import services

    with job_context():
        lost = services.lost_messages()
        try:
            waiting = waiting_jobs([m.job_id for m in lost if m.job_id])
        except (RedisError, OSError) as e:
            db.session.commit()  # stuck messages are queued again; Redis is down, so nothing to enqueue
            log.warning("sms sweep: Redis is not answering, trying again on the next run: %s", e)
            return 0
        todo = []
        for message in lost:
            if message.job_id in waiting:
                continue
            message.job_id = new_job_id()
            todo.append((message.id, message.job_id))
        db.session.commit()
        if todo:
            log.info("sms sweep: re-enqueueing %d message(s)", len(todo))
        return enqueue(todo) if todo else 0
