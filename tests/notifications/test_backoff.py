"""Retries back off 10 s, 1 min, 5 min, 30 min, then the message fails with the reason."""
from __future__ import annotations

from datetime import timedelta

from redis import Redis
from rq import Queue

from app.core.models import utcnow
from app.notifications import jobs
from app.notifications.models import SmsStatus
from app.notifications.services import Recipient, notify


def test_retryable_errors_back_off_then_give_up(app, db_session, use_stub, redis_url, queue_name):
    phone = "+8613800138000"
    use_stub.stub.scripts[phone].extend(["RequestLimitExceeded"] * 5)
    message = notify("order_paid", Recipient(phone, "zh_CN"), order_no="KJ-10", amount="¥10.00")
    db_session.commit()
    scheduled = Queue(queue_name, connection=Redis.from_url(redis_url)).scheduled_job_registry
    waits = []
    for attempt in range(1, 5):
        assert jobs.send_sms(message.id) == "queued"
        db_session.refresh(message)
        assert message.attempts == attempt
        # updated_at is stamped as the answer is recorded, next_attempt_at from the same moment.
        waits.append(round((message.next_attempt_at - message.updated_at).total_seconds()))
        run_at = scheduled.get_scheduled_time(scheduled.get_job_ids()[-1])
        assert abs((run_at - message.next_attempt_at).total_seconds()) < 2, "RQ runs the retry when it is due"
        message.next_attempt_at = utcnow() - timedelta(seconds=1)  # let the time pass
        db_session.commit()
    assert waits == [10, 60, 300, 1800]

    assert jobs.send_sms(message.id) == "failed"
    db_session.refresh(message)
    assert message.status == SmsStatus.FAILED and message.attempts == 5
    assert message.last_error == ("RequestLimitExceeded: Your current request times exceeds limit, please try again later."
                                  " (gave up after 5 attempts)")
    assert use_stub.stub.accepted == []
