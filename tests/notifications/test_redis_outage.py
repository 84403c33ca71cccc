"""Redis down when a message is created: the request still succeeds, and the message is
sent by the sweep and a real worker once Redis is back."""
from __future__ import annotations

import subprocess
from datetime import timedelta

from redis import Redis
from rq import Queue

from app.core.models import utcnow
from app.extensions import db
from app.notifications import jobs
from app.notifications.models import SmsMessage, SmsStatus
from app.notifications.services import notify
from tests.conftest import PortalClient
from tests.notifications.conftest import ROOT, VENV_BIN, run_worker, stop_process, wait_until, worker_env


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
    assert jobs.sweep() == 0
    # A minute later nobody has sent it: the sweep (run by `rq cron`) enqueues it again.
    db.session.execute(db.update(SmsMessage).where(SmsMessage.id == message_id)
                       .values(next_attempt_at=utcnow() - timedelta(minutes=2)))
    db.session.commit()
    assert jobs.sweep() == 1

    out = run_worker(throwaway_redis.url, queue_name)
    out.wait(60)
    log = stop_process(out)
    db.session.expire_all()
    sent = db.session.get(SmsMessage, message_id)
    assert sent.status == SmsStatus.SENT and sent.attempts == 1, log


def test_a_worker_that_died_mid_send_is_recovered_by_the_sweep(app, committed, queue_name):
    message = notify("ticket_replied", ("+8613800138000", "en"), ticket_no="T-9")
    db.session.commit()
    db.session.execute(db.update(SmsMessage).where(SmsMessage.id == message.id)
                       .values(status=SmsStatus.SENDING, attempts=1,
                               updated_at=utcnow() - timedelta(minutes=11)))
    db.session.commit()
    assert jobs.sweep() == 1
    assert jobs.send_sms(message.id) == "sent"
    db.session.expire_all()
    assert db.session.get(SmsMessage, message.id).attempts == 2


def test_the_sweep_runs_every_minute_under_rq_cron(redis_url):
    from redis import Redis
    from rq.cron import CronScheduler

    cron = CronScheduler(connection=Redis.from_url(redis_url))
    cron.load_config_from_file("app.notifications.cron")
    [job] = cron.get_jobs()
    assert job.func is jobs.sweep and job.interval == 60


def test_flask_sms_sweep_command(app, committed, redis_url, queue_name):
    message = notify("ticket_replied", ("+8613800138000", "en"), ticket_no="T-10")
    db.session.commit()
    Queue(queue_name, connection=Redis.from_url(redis_url)).empty()  # its job was lost
    db.session.execute(db.update(SmsMessage).where(SmsMessage.id == message.id)
                       .values(next_attempt_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["sms-sweep"])
    assert result.output.strip() == "1 message(s) enqueued"


def test_the_sweep_leaves_messages_whose_job_still_waits_in_redis(app, committed, redis_url, queue_name):
    # Workers lag by more than the grace period: the job is in Redis, only late.
    q = Queue(queue_name, connection=Redis.from_url(redis_url))
    message = notify("ticket_replied", ("+8613800138000", "en"), ticket_no="T-11")
    db.session.commit()
    db.session.execute(db.update(SmsMessage).where(SmsMessage.id == message.id)
                       .values(next_attempt_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    assert q.count == 1
    assert jobs.sweep() == 0 and jobs.sweep() == 0
    assert q.count == 1, "no duplicate jobs pile up behind a slow worker"

    q.empty()  # the job is lost after all (say Redis was flushed)
    assert jobs.sweep() == 1 and q.count == 1
    assert jobs.sweep() == 0 and q.count == 1


def test_a_code_stuck_sending_is_not_sent_again(app, committed, queue_name, outbox_log):
    message = notify("login_code", ("+8613800138000", "zh_CN"), code="482913", minutes=5,
                     expires_at=utcnow() + timedelta(minutes=5))
    db.session.commit()
    db.session.execute(db.update(SmsMessage).where(SmsMessage.id == message.id)
                       .values(status=SmsStatus.SENDING, attempts=1, updated_at=utcnow() - timedelta(minutes=11)))
    db.session.commit()
    assert jobs.sweep() == 0
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
    db.session.execute(db.update(SmsMessage).where(SmsMessage.id == message.id)
                       .values(next_attempt_at=utcnow() - timedelta(minutes=2)))
    db.session.commit()
    message_id = message.id
    throwaway_redis.start()
    q = Queue(queue_name, connection=Redis.from_url(throwaway_redis.url))
    assert q.count == 0

    cron = subprocess.Popen(
        [str(VENV_BIN / "rq"), "cron", "--url", throwaway_redis.url, "app.notifications.cron"], cwd=ROOT,
        env=worker_env(throwaway_redis.url, queue_name, SMS_SWEEP_INTERVAL="1"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert wait_until(lambda: any(job.func_name == "app.notifications.jobs.sweep" for job in q.get_jobs()),
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
    db.session.execute(db.update(SmsMessage).where(SmsMessage.id == message.id)
                       .values(status=SmsStatus.SENDING, attempts=len(app.config["SMS_RETRY_DELAYS"]) + 1,
                               updated_at=utcnow() - timedelta(minutes=11)))
    db.session.commit()
    assert jobs.sweep() == 0
    db.session.expire_all()
    assert db.session.get(SmsMessage, message.id).status == SmsStatus.FAILED
