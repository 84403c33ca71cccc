"""Queueing after the commit, delivery through a real worker, dedup, and the outbox page."""
from __future__ import annotations

import threading
from datetime import timedelta

from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from app.accounts import recipient
from app.core import jobs as core_jobs
from app.core.jobs import Intent
from app.core.models import utcnow
from app.extensions import db
from app.notifications import jobs, services
from app.notifications.models import SmsMessage, SmsStatus
from app.notifications.services import Recipient, notify
from tests.conftest import PortalClient
from tests.workers import run_worker, stop_process


def test_a_message_is_enqueued_only_when_its_transaction_commits(app, db_session, redis_url, queue_name):
    q = Queue(queue_name, connection=Redis.from_url(redis_url))
    message = notify("order_paid", Recipient("13800138000", "zh_CN"), order_no="KJ-1001", amount="¥1,280.00")
    # A second message in the same transaction releases a savepoint: still no commit.
    notify("order_paid", Recipient("13800138001", "zh_CN"), order_no="KJ-1001", amount="¥1,280.00")
    assert message.status == SmsStatus.QUEUED
    assert q.count == 0, "nothing may reach the queue before the commit"
    db_session.rollback()
    assert q.count == 0, "a rolled-back message is never sent"

    message = notify("order_paid", Recipient("13800138000", "zh_CN"), order_no="KJ-1002", amount="¥99.00")
    other = notify("order_paid", Recipient("13800138001", "zh_CN"), order_no="KJ-1002", amount="¥99.00")
    db_session.commit()
    # One job per message, for the intent written with it, in one round trip after the commit.
    intents = {i.id: i for i in db_session.scalars(select(Intent))}
    assert [intents[job.args[0]].args for job in q.get_jobs()] == [[message.id], [other.id]]
    assert [job.id for job in q.get_jobs()] == [intents[job.args[0]].job_id for job in q.get_jobs()]
    assert message.body == "【跨境采购】您的订单KJ-1002已支付成功，金额¥99.00。我们将尽快安排发货。"


def test_outbox_messages_are_sent_by_a_real_worker_on_real_redis(app, committed, redis_url, queue_name):
    user = verified(committed.user(phone="+8613911112222", language="en"))
    staff = committed.user(role=None, staff_role="agent")
    message = notify("ticket_replied", recipient(user), ticket_no="T-77")
    db.session.commit()
    message_id = message.id

    out = stop_process_after(run_worker(redis_url, queue_name))
    db.session.expire_all()
    sent = db.session.get(SmsMessage, message_id)
    assert sent.status == SmsStatus.SENT, out
    assert sent.provider == "outbox" and sent.provider_id.startswith("outbox-")
    assert sent.attempts == 1 and sent.sent_at is not None
    assert sent.body == "[跨境采购] There is a new reply on your ticket T-77. Sign in to read it."

    app.test_client_class = PortalClient
    client = app.test_client()
    assert client.post("/login", data={"email": staff.email, "password": committed.PASSWORD}).status_code == 303
    html = client.get("/outbox").get_data(as_text=True)
    assert "There is a new reply on your ticket T-77" in html and "+8613911112222" in html


def verified(user):
    """The user proved they hold their number (optional messages go only to such numbers)."""
    user.verified_phone = user.phone
    db.session.flush()
    return user


def stop_process_after(proc) -> str:
    proc.wait(60)
    return stop_process(proc)


def test_the_same_event_makes_one_message(app, db_session, queue_name):
    user_phone = Recipient("+8613800138000", "zh_CN")
    first = notify("refund_completed", user_phone, dedup_key="refund:42", order_no="KJ-9", amount="¥10.00")
    again = notify("refund_completed", user_phone, dedup_key="refund:42", order_no="KJ-9", amount="¥10.00")
    db_session.commit()
    assert again.id == first.id
    count = db_session.scalar(select(func.count()).select_from(SmsMessage).where(SmsMessage.dedup_key == "refund:42"))
    assert count == 1


def test_a_job_run_twice_sends_once(app, db_session, use_stub, queue_name):
    message = notify("order_paid", Recipient("+8613800138000", "zh_CN"), order_no="KJ-5", amount="¥5.00")
    db_session.commit()
    assert jobs.send_sms(message.id) == "sent"
    assert jobs.send_sms(message.id) == "skipped"
    assert [m["session"] for m in use_stub.stub.accepted] == [f"sms:{message.id}"]


def test_two_workers_racing_for_one_message_send_it_once(app, committed, use_stub, queue_name):
    message = notify("order_paid", Recipient("+8613800138000", "zh_CN"), order_no="KJ-6", amount="¥6.00")
    db.session.commit()
    message_id = message.id
    # Hold the provider call open so both jobs overlap for certain.
    gate, release = threading.Event(), threading.Event()
    provider = _slow_provider(app, gate, release)
    results: list[str] = []

    def job() -> None:
        with app.app_context():
            app.extensions["kj_sms_provider"] = provider
            try:
                results.append(jobs.send_sms(message_id))
            except services.SendInProgress:  # its intent tries again later
                results.append("in progress")

    first = threading.Thread(target=job)
    first.start()
    assert gate.wait(10)
    second = threading.Thread(target=job)
    second.start()
    second.join(10)
    release.set()
    first.join(10)
    assert sorted(results) == ["in progress", "sent"]
    assert len(use_stub.stub.accepted) == 1
    assert jobs.send_sms(message_id) == "skipped", "once sent, a later run does nothing"


def _slow_provider(app, gate, release):
    with app.app_context():
        from app.notifications.provider import get_provider

        real = get_provider()

    class Slow:
        name = real.name

        def send(self, request):
            gate.set()
            release.wait(10)
            return real.send(request)

    return Slow()


def test_essential_messages_ignore_opt_outs_and_optional_ones_respect_them(app, db_session, make_user, queue_name):
    user = verified(make_user(phone="+8613700001111"))
    services.set_opt_outs(user.id, {"orders"})
    assert notify("order_paid", recipient(user), order_no="KJ-1", amount="¥1.00") is None
    assert notify("ticket_replied", recipient(user), ticket_no="T-1") is not None
    assert notify("phone_verification", recipient(user), code="123456", minutes=5) is not None


def test_recipients_get_their_own_language(app, db_session, make_user, queue_name):
    zh = verified(make_user(phone="+8613700002222", language="zh_CN"))
    en = verified(make_user(phone="+8613700003333", language="en"))
    assert notify("statement_ready", recipient(zh), period="2026-10").body == "【跨境采购】您2026-10的对账单已生成，请登录平台下载。"
    # Numbers in mainland China always carry the approved Chinese sign, whatever the language.
    assert notify("statement_ready", recipient(en), period="2026-10").body == "[跨境采购] Your statement for 2026-10 is ready. Sign in to download it."
    abroad = verified(make_user(phone="+447700900123", language="en"))
    assert notify("statement_ready", recipient(abroad), period="2026-10").body == "[Kuajing] Your statement for 2026-10 is ready. Sign in to download it."


def test_invitation_links_and_codes_never_show_on_the_outbox_and_are_forgotten_once_sent(
        app, db_session, client, new_client, make_user, login, queue_name, outbox_log, use_config):
    use_config(SMS_OUTBOX_SHOWS_CODES=False)  # as in production (tests/notifications/test_outbox_codes.py)
    owner = make_user(role="owner")
    login(client, owner)
    response = client.post("/members/invite", data={"email": "joiner@example.test", "phone": "13812340000",
                                                    "role": "buyer"})
    assert response.status_code == 200
    message = db_session.scalar(select(SmsMessage).where(SmsMessage.event == "member_invitation"))
    link = message.params["link"]
    assert "/invite/" in link and link in message.body, "kept until it is sent"

    staff = new_client()
    login(staff, make_user(role=None, staff_role="agent"))
    html = staff.get("/outbox").get_data(as_text=True)
    assert "/invite/" not in html and "••••••" in html, "queued: the link is masked for staff"

    assert jobs.send_sms(message.id) == "sent"
    db_session.refresh(message)
    assert [text for text in outbox_log.texts_to("+8613812340000") if link in text], "the invitee got the link"
    assert link not in message.body and message.params["link"] == "••••••"
    assert "/invite/" not in staff.get("/outbox").get_data(as_text=True)


def test_a_failed_code_message_forgets_its_code_too(app, db_session, use_stub, use_config, queue_name):
    use_config(SMS_TEMPLATE_IDS={**app.config["SMS_TEMPLATE_IDS"], "login_code.zh_CN": "2109999"})
    message = notify("login_code", Recipient("+8613800138000", "zh_CN"), code="482913", minutes=5)
    db_session.commit()
    assert jobs.send_sms(message.id) == "failed"
    db_session.refresh(message)
    assert "482913" not in message.body and message.params["code"] == "••••••"


def test_a_message_that_cannot_be_prepared_fails_once_with_the_reason(app, db_session, use_config, queue_name):
    # Before: the error rolled the claim back, the message stayed queued and the sweep
    # enqueued it again every minute, for ever.
    message = notify("order_paid", Recipient("+8613800138000", "zh_CN"), order_no="KJ-3", amount="¥3.00")
    db_session.commit()
    use_config(SMS_PROVIDER="carrier-pigeon")
    intent = db_session.scalar(select(Intent).where(Intent.key == f"sms:{message.id}:0"))
    assert core_jobs.run(intent.id) == "done"
    db_session.refresh(message)
    assert message.status == SmsStatus.FAILED and message.attempts == 1
    assert message.error_code == "RuntimeError" and "carrier-pigeon" in message.last_error
    db_session.execute(db.update(Intent).values(run_after=utcnow() - timedelta(hours=1)))
    assert core_jobs.lost_intents() == [], "a failed message is not sent again and again"


def test_a_message_whose_parameters_are_broken_fails_instead_of_looping(app, db_session, queue_name):
    message = notify("order_paid", Recipient("+8613800138000", "zh_CN"), order_no="KJ-4", amount="¥4.00")
    db_session.execute(db.update(SmsMessage).where(SmsMessage.id == message.id).values(params={}))
    db_session.commit()
    assert jobs.send_sms(message.id) == "failed"
    db_session.refresh(message)
    assert message.error_code == "KeyError" and message.status == SmsStatus.FAILED
    assert jobs.send_sms(message.id) == "skipped"


def test_the_outbox_text_carries_the_sign_the_provider_sends(app, db_session, use_stub, queue_name):
    message = notify("order_paid", Recipient("+8613800138000", "en"), order_no="KJ-14", amount="¥14.00")
    db_session.commit()
    assert jobs.send_sms(message.id) == "sent"
    [got] = use_stub.stub.accepted
    assert message.body.startswith(f"[{got['sign']}] ") and got["sign"] == app.config["SMS_SIGN_NAME"]


def test_optional_messages_go_only_to_a_verified_number(app, db_session, make_user, queue_name):
    # Anyone can type any number into a profile; only a proven one gets order news.
    user = make_user(phone="+8613700004444")
    assert notify("order_paid", recipient(user), order_no="KJ-15", amount="¥15.00") is None
    assert notify("ticket_replied", recipient(user), ticket_no="T-15") is None
    verified(user)
    assert notify("order_paid", recipient(user), order_no="KJ-15", amount="¥15.00") is not None
    user.phone = "+8613700005555"  # changed the number since, without verifying the new one
    assert notify("ticket_replied", recipient(user), ticket_no="T-16") is None
