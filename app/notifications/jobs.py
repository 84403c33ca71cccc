"""The send job: one SMS through the configured provider.

`notify()` writes the message and its send intent (app.core.jobs) in the caller's
transaction; the intent is enqueued after the commit, and the core sweep enqueues it
again if Redis was down or the worker died. The job commits its claim before it calls
the provider and stores the answer right after, so a message goes out at most once
per claim; what happens when a worker dies mid-send is decided at the next claim.
"""
from __future__ import annotations

import logging
import time

from app.core.db import unit
from app.core.jobs import job_context, task
from app.extensions import db
from app.notifications.models import SmsStatus

log = logging.getLogger(__name__)


@task(own_transactions=True, timeout=60, retries=8, backoff=(10, 30, 60, 120, 300))
def send_sms(message_id: int) -> str:
    """Send one message; a retryable provider error schedules the next attempt.

    Safe to run any number of times: only the run that claims the message sends it.
    Raises SendInProgress while another run is sending it (the intent retries later,
    so that a run that then dies is still taken over). Returns what happened.
    """
    from app.notifications import services
    from app.notifications.models import SmsMessage
    from app.notifications.provider import Rejected, get_provider

    with job_context():
        # The claim stands whatever happens next: `sending` is visible, the row unlocked,
        # and an error below can no longer roll the message back to `queued` for ever.
        with unit():
            message = services.claim(message_id)
            if message is None:
                return "skipped"
            if message.status != SmsStatus.SENDING:  # out of date: failed instead of sent
                return message.status.value
        try:
            provider = get_provider()
            request = services.request_for(db.session.get(SmsMessage, message_id))
        except Exception as e:  # a setting or data error: retrying cannot fix it
            log.exception("sms %s: could not prepare the message", message_id)
            with unit():
                message = db.session.get(SmsMessage, message_id, with_for_update=True, populate_existing=True)
                services.fail(message, type(e).__name__,
                              f"{type(e).__name__}: not sent, the message could not be prepared: {e}"[:1000])
            return "failed"
        try:
            result = provider.send(request)
        except Exception as e:  # an adapter bug must not leave the message stuck in `sending`
            log.exception("sms %s: provider %s raised", message_id, provider.name)
            result = Rejected(type(e).__name__, str(e)[:500], True)
        return _store_result(message_id, provider.name, result)


def _store_result(message_id: int, provider_name: str, result) -> str:
    """Record the provider's answer in one short unit, committed right away.

    Once the provider has the message, its id in our row is what stops a resend;
    a brief database error is retried rather than leaving the row `sending`.
    """
    from sqlalchemy.exc import InterfaceError, OperationalError

    from app.notifications import services
    from app.notifications.models import SmsMessage

    for attempt in range(1, 4):
        try:
            with unit():
                message = db.session.get(SmsMessage, message_id, with_for_update=True, populate_existing=True)
                message.provider = provider_name
                services.record(message, result)
                status = message.status.value
            return status
        except (OperationalError, InterfaceError):
            if attempt == 3:
                log.error("sms %s: the provider answered %r but it could not be stored", message_id, result)
                raise
            time.sleep(attempt)
    raise AssertionError("unreachable")
