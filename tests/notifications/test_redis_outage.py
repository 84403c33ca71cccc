"""Redis down when a message is created, or a worker dying mid-send: the request still
succeeds, and the core sweep (under `rq cron`) and a real worker deliver the message
once, or give a one-time code up rather than risk sending it twice."""
from __future__ import annotations

import subprocess
from datetime import timedelta

from redis import Redis
from rq import Queue
from sqlalchemy import select

from app.core import jobs as core_jobs
from app.core.jobs import Intent, IntentStatus
from app.core.models import utcnow
from app.extensions import db
from app.notifications.models import SmsMessage, SmsStatus
from app.notifications.services import notify
from tests.conftest import PortalClient
from tests.workers import ROOT, VENV_BIN, run_worker, stop_process, wait_until, worker_env


def _send_intent(message_id: int) -> Intent:
    db.session.expire_all()
    return db.session.scalar(select(Intent).where(Intent.key.like(f"sms:{message_id}:%")).order_by(Intent.id.desc()))


def _overdue(intent: Intent, minutes: int = 2, status: IntentStatus | None = None) -> None:
    values = {"run_after": utcnow() - timedelta(minutes=minutes), "started_at": utcnow() - timedelta(minutes=minutes)}
    if status is not None:
        values["status"] = status
    db.session.execute(db.update(Intent).where(Intent.id == intent.id).values(**values))
    db.session.commit()


def _died_mid_send(message: SmsMessage, attempts: int = 1) -> None:
    """What a worker killed while sending leaves behind: the claim committed, nothing after."""
    db.session.execute(db.update(SmsMessage).where(SmsMessage.id == message.id)
                       .values(status=SmsStatus.SENDING, attempts=attempts, updated_at=utcnow() - timedelta(minutes=11)))
    db.session.commit()
    _overdue(_send_intent(message.id), minutes=11, status=IntentStatus.RUNNING)


def test_message_created_while_redis_is_down_is_sent_after_it_returns(app, committed, use_config, throwaway_redis,
                                                                        queue_name):
    use_config(REDIS_URL=throwaway_redis.url)
    owner = committed.user(role="owner", language="zh_CN")
    db.session.commit()
    # Redis is not running: the invitation (and its SMS) must still be saved.
    assert not throwaway_redis.answers()
    app.test_client_class = PortalClient
    client = app.test_client()
    assert client.post("/login", data={"email": owner.email, "password": committed.PASSWORD}).status_code == 303
    response = client.post("/members/invite", data={"email": "new.member@example.test", "phone": "13812345678",
                                                     "role": "buyer"})
    assert response.status_code == 200
    message = db.session.scalar(db.select(SmsMessage).where(SmsMessage.event == "member_invitation"))
    assert message.status == SmsStatus.QUEUED and message.phone == "+8613812345678"
    assert "/invite/" in message.body and message.body.startswith("【跨境采购】")
    message_id = message.id

    # Not yet overdue: the sweep leaves a fresh message to its own job.
    throwaway_redis.start()
    assert core_jobs.sweep() == 0
    # A minute later nobody has sent it: the sweep (run by `rq cron`) enqueues it again.
    _overdue(_send_intent(message_id))
    assert core_jobs.sweep() == 1

    out = run_worker(throwaway_redis.url, queue_name)
    out.wait(60)
    log = stop_process(out)
    db.session.expire_all()
    sent = db.session.get(SmsMessage, message_id)
    assert sent.status == SmsStatus.SENT and sent.attempts == 1, log
    assert _send_intent(message_id).status == IntentStatus.DONE


def test_a_worker_that_died_mid_send_is_recovered_by_the_sweep(app, committed, queue_name):
    message = notify("ticket_replied", ("+8613800138000", "en"), ticket_no="T-9")
    db.session.commit()
    _died_mid_send(message)
    assert core_jobs.sweep() == 1
    assert core_jobs.run(_send_intent(message.id).id) == "done"
    db.session.expire_all()
    sent = db.session.get(SmsMessage, message.id)
    assert sent.status == SmsStatus.SENT and sent.attempts == 2


def test_flask_jobs_sweep_command(app, committed, redis_url, queue_name):
    message = notify("ticket_replied", ("+8613800138000", "en"), ticket_no="T-10")
    db.session.commit()
    Queue(queue_name, connection=Redis.from_url(redis_url)).empty()  # its job was lost
    _overdue(_send_intent(message.id), minutes=5)
    result = app.test_cli_runner().invoke(args=["jobs-sweep"])
    assert result.output.strip() == "1 intent(s) enqueued"


def test_the_sweep_leaves_messages_whose_job_still_waits_in_redis(app, committed, redis_url, queue_name):
    # Workers lag by more than the grace period: the job is in Redis, only late.
    q = Queue(queue_name, connection=Redis.from_url(redis_url))
    message = notify("ticket_replied", ("+8613800138000", "en"), ticket_no="T-11")
    db.session.commit()
    _overdue(_send_intent(message.id), minutes=5)
    assert q.count == 1
    assert core_jobs.sweep() == 0 and core_jobs.sweep() == 0
    assert q.count == 1, "no duplicate jobs pile up behind a slow worker"

    q.empty()  # the job is lost after all (say Redis was flushed)
    assert core_jobs.sweep() == 1 and q.count == 1
    assert core_jobs.sweep() == 0 and q.count == 1


def test_a_code_stuck_sending_is_not_sent_again(app, committed, queue_name, outbox_log):
    message = notify("login_code", ("+8613800138000", "zh_CN"), code="482913", minutes=5,
                     expires_at=utcnow() + timedelta(minutes=5))
    db.session.commit()
    _died_mid_send(message)
    assert core_jobs.sweep() == 1
    assert core_jobs.run(_send_intent(message.id).id) == "done"
    db.session.expire_all()
    stuck = db.session.get(SmsMessage, message.id)
    assert stuck.status == SmsStatus.FAILED and stuck.error_code == "outcome-unknown"
    assert "482913" not in stuck.body and outbox_log.delivered == []


def test_rq_cron_really_runs_the_sweep_and_a_stranded_message_goes_out(app, committed, use_config, throwaway_redis,
                                                                       queue_name):
    # The message's job never reached Redis (it was down at the commit).
    use_config(REDIS_URL=throwaway_redis.url)
    message = notify("ticket_replied", ("+8613800138000", "en"), ticket_no="T-12")
    db.session.commit()
    _overdue(_send_intent(message.id))
    message_id = message.id
    throwaway_redis.start()
    q = Queue(queue_name, connection=Redis.from_url(throwaway_redis.url))
    assert q.count == 0

    cron = subprocess.Popen(
        [str(VENV_BIN / "rq"), "cron", "--url", throwaway_redis.url, "app.core.cron"], cwd=ROOT,
        env=worker_env(throwaway_redis.url, queue_name, JOBS_SWEEP_INTERVAL="1"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert wait_until(lambda: any(job.func_name == "app.core.jobs.sweep" for job in q.get_jobs()),
                          timeout=60), "rq cron enqueued no sweep"
    finally:
        cron_log = stop_process(cron)
    worker = run_worker(throwaway_redis.url, queue_name)
    worker.wait(60)
    log = stop_process(worker)
    db.session.expire_all()
    sent = db.session.get(SmsMessage, message_id)
    assert sent.status == SmsStatus.SENT and sent.attempts == 1, cron_log + log


def test_a_message_that_keeps_killing_its_worker_is_given_up(app, committed, queue_name):
    message = notify("ticket_replied", ("+8613800138000", "en"), ticket_no="T-13")
    db.session.commit()
    _died_mid_send(message, attempts=len(app.config["SMS_RETRY_DELAYS"]) + 1)
    assert core_jobs.sweep() == 1
    assert core_jobs.run(_send_intent(message.id).id) == "done"
    db.session.expire_all()
    given_up = db.session.get(SmsMessage, message.id)
    assert given_up.status == SmsStatus.FAILED and given_up.error_code == "worker-stopped"
