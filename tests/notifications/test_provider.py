"""The Tencent Cloud SMS adapter, through the official SDK, against the stub provider."""
from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue

from app.core.models import utcnow
from app.notifications import jobs
from app.notifications.models import SmsStatus
from app.notifications.provider import Delivered, Rejected, SmsRequest, TencentSmsProvider
from sqlalchemy import select

from app.core.jobs import Intent
from app.notifications.services import Recipient, notify
from sandbox.sms.server import SmsStub
from tests.notifications.conftest import StubServer

LOGIN_ZH = SmsRequest(phone="+8613800138000", template_code="2100001", params=("482913", "5"),
                      sign_name="跨境采购", text="【跨境采购】您的登录验证码为482913，5分钟内有效。", reference="sms:1")


def provider_for(server: StubServer, **overrides) -> TencentSmsProvider:
    cfg = {**server.config(), "SMS_TENCENT_REGION": "ap-guangzhou", "SMS_TIMEOUT_SECONDS": 5, **overrides}
    return TencentSmsProvider.from_config(cfg)


def test_a_correctly_signed_request_is_delivered_with_template_params_and_sign(sms_stub):
    result = provider_for(sms_stub).send(LOGIN_ZH)
    assert isinstance(result, Delivered) and result.provider_id
    [got] = sms_stub.stub.accepted
    assert got == {"phone": "+8613800138000", "template_id": "2100001", "sign": "跨境采购",
                   "params": ["482913", "5"], "session": "sms:1", "code": "Ok", "serial": result.provider_id}


def test_numbers_outside_mainland_china_are_sent_without_a_sign(sms_stub):
    request = SmsRequest("+447700900123", "2100002", ("482913", "5"), "跨境采购", "[Kuajing] ...", "sms:2")
    assert isinstance(provider_for(sms_stub).send(request), Delivered)
    assert sms_stub.stub.accepted[0]["sign"] is None


def test_a_wrong_secret_key_fails_the_signature_check(sms_stub):
    result = provider_for(sms_stub, SMS_TENCENT_SECRET_KEY="not-the-key").send(LOGIN_ZH)
    assert result == Rejected("AuthFailure.SignatureFailure", result.message, retryable=False)
    assert sms_stub.stub.accepted == []


def test_a_request_changed_after_signing_is_refused():
    stub = SmsStub()

    def tamper(environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).replace(b"482913", b"000000")
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        return stub(environ, start_response)

    server = StubServer(stub, app=tamper)
    try:
        result = provider_for(server).send(LOGIN_ZH)
    finally:
        server.stop()
    assert isinstance(result, Rejected) and result.code == "AuthFailure.SignatureFailure"
    assert stub.accepted == []


def test_a_stale_timestamp_is_refused():
    server = StubServer(SmsStub(clock=lambda: time.time() + 600))
    try:
        result = provider_for(server).send(LOGIN_ZH)
    finally:
        server.stop()
    assert isinstance(result, Rejected) and result.code == "AuthFailure.SignatureExpire"


def test_the_provider_frequency_limit_is_a_retryable_rejection(sms_stub):
    provider = provider_for(sms_stub)
    assert isinstance(provider.send(LOGIN_ZH), Delivered)
    result = provider.send(LOGIN_ZH)  # same number within 30 s
    assert result.code == "LimitExceeded.PhoneNumberThirtySecondLimit" and result.retryable


def test_an_unapproved_template_is_final(sms_stub):
    result = provider_for(sms_stub).send(SmsRequest("+8613800138000", "9999999", ("1", "2"), "跨境采购", "", "sms:3"))
    assert result.code == "FailedOperation.TemplateIncorrectOrUnapproved" and not result.retryable


def test_an_unreachable_provider_is_a_retryable_network_error(sms_stub):
    sms_stub.stop()
    result = provider_for(sms_stub).send(LOGIN_ZH)
    assert isinstance(result, Rejected) and result.code == "ClientNetworkError" and result.retryable


# --- through the delivery job ------------------------------------------------------------

def test_throttled_message_is_retried_later_then_sent(app, db_session, use_stub, redis_url, queue_name):
    use_stub.stub.scripts["+8613800138000"].append("LimitExceeded.PhoneNumberThirtySecondLimit")
    message = notify("order_paid", Recipient("+8613800138000", "zh_CN"), order_no="KJ-7", amount="¥7.00")
    db_session.commit()
    before = utcnow()
    assert jobs.send_sms(message.id) == "queued"
    db_session.refresh(message)
    assert message.status == SmsStatus.QUEUED and message.attempts == 1
    assert message.error_code == "LimitExceeded.PhoneNumberThirtySecondLimit"
    assert before + timedelta(seconds=10) <= message.next_attempt_at <= utcnow() + timedelta(seconds=10)
    scheduled = Queue(queue_name, connection=Redis.from_url(redis_url)).scheduled_job_registry
    assert len(scheduled.get_job_ids()) == 1, "the retry waits in RQ's scheduler"
    assert jobs.send_sms(message.id) == "skipped", "an early run does not jump the backoff"

    message.next_attempt_at = utcnow() - timedelta(seconds=1)  # the 10 s have passed
    db_session.commit()
    assert jobs.send_sms(message.id) == "sent"
    db_session.refresh(message)
    assert message.status == SmsStatus.SENT and message.attempts == 2
    assert len(use_stub.stub.accepted) == 1


def test_a_bad_template_fails_at_once_with_the_reason_shown(app, db_session, use_stub, use_config, queue_name,
                                                              make_user, login, client):
    use_config(SMS_TEMPLATE_IDS={**app.config["SMS_TEMPLATE_IDS"], "order_paid.zh_CN": "2109999"})
    message = notify("order_paid", Recipient("+8613800138000", "zh_CN"), order_no="KJ-8", amount="¥8.00")
    db_session.commit()
    assert jobs.send_sms(message.id) == "failed"
    db_session.refresh(message)
    assert message.status == SmsStatus.FAILED and message.attempts == 1 and message.failed_at
    assert message.last_error.startswith("FailedOperation.TemplateIncorrectOrUnapproved: template is not approved")
    login(client, make_user(role=None, staff_role="ops"))
    html = client.get("/outbox").get_data(as_text=True)
    assert "FailedOperation.TemplateIncorrectOrUnapproved" in html and "失败" in html


@pytest.mark.parametrize("code", ["AuthFailure.SecretIdNotFound", "LimitExceeded.PhoneNumberDailyLimit"])
def test_errors_retrying_cannot_fix_are_not_retried(app, db_session, use_stub, use_config, queue_name, code):
    if code.startswith("AuthFailure"):
        use_config(SMS_TENCENT_SECRET_ID="AKIDunknown")
    else:
        use_stub.stub.scripts["+8613800138000"].append(code)
    message = notify("order_paid", Recipient("+8613800138000", "zh_CN"), order_no="KJ-9", amount="¥9.00")
    db_session.commit()
    assert jobs.send_sms(message.id) == "failed"
    db_session.refresh(message)
    assert message.error_code == code


def test_the_portal_refuses_to_start_with_an_unusable_provider():
    from app import ConfigError, create_app
    from tests.conftest import app_config

    with pytest.raises(ConfigError, match="SMS_TENCENT_SECRET_ID"):
        create_app(app_config(SMS_PROVIDER="tencent", SMS_TENCENT_SECRET_ID=None))
    with pytest.raises(ConfigError, match="outbox"):
        create_app(app_config(SMS_PROVIDER="carrier-pigeon"))


def test_api_throttling_raised_by_the_sdk_is_retried_through_the_job(app, db_session, use_stub, redis_url,
                                                                      queue_name):
    # Tencent answers a whole request with Error.Code RequestLimitExceeded; the SDK raises
    # TencentCloudSDKException for it rather than returning a send status.
    use_stub.stub.scripts["+8613800138000"].append("error:RequestLimitExceeded")
    message = notify("order_paid", Recipient("+8613800138000", "zh_CN"), order_no="KJ-12", amount="¥12.00")
    db_session.commit()
    assert jobs.send_sms(message.id) == "queued"
    db_session.refresh(message)
    assert message.error_code == "RequestLimitExceeded" and message.attempts == 1
    scheduled = Queue(queue_name, connection=Redis.from_url(redis_url)).scheduled_job_registry
    retry = db_session.scalar(select(Intent).where(Intent.key == f"sms:{message.id}:1"))
    assert scheduled.get_job_ids() == [retry.job_id], "the retry waits in RQ's scheduler"
    message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    assert jobs.send_sms(message.id) == "sent"
    assert len(use_stub.stub.accepted) == 1


@pytest.mark.parametrize("script", ["hang:3", "InternalError.Timeout"])
def test_a_code_the_provider_may_have_sent_is_not_sent_twice(app, db_session, use_stub, use_config, queue_name,
                                                               script):
    use_config(SMS_TIMEOUT_SECONDS=1)
    use_stub.stub.scripts["+8613800138000"].append(script)
    message = notify("login_code", Recipient("+8613800138000", "zh_CN"), code="482913", minutes=5)
    db_session.commit()
    assert jobs.send_sms(message.id) == "failed"
    db_session.refresh(message)
    assert message.status == SmsStatus.FAILED and "outcome unknown" in message.last_error
    assert "482913" not in message.body
    assert jobs.send_sms(message.id) == "skipped"
    if script.startswith("hang"):
        assert len(use_stub.stub.accepted) == 1, "it did go out: once"


@pytest.mark.parametrize("script", ["hang:3", "InternalError.Timeout"])
def test_other_messages_the_provider_may_have_sent_are_retried(app, db_session, use_stub, use_config, queue_name,
                                                                script):
    use_config(SMS_TIMEOUT_SECONDS=1)
    use_stub.stub.scripts["+8613800138000"].append(script)
    message = notify("order_paid", Recipient("+8613800138000", "zh_CN"), order_no="KJ-13", amount="¥13.00")
    db_session.commit()
    assert jobs.send_sms(message.id) == "queued", "at-least-once: a duplicate beats a lost notice"
    db_session.refresh(message)
    assert message.status == SmsStatus.QUEUED and message.attempts == 1


def test_a_database_hiccup_after_the_provider_accepted_does_not_resend(app, db_session, use_stub, queue_name,
                                                                        monkeypatch):
    from sqlalchemy.exc import OperationalError

    from app.notifications import services

    real_record, calls = services.record, []

    def flaky_record(message, result, now=None):
        calls.append(result)
        if len(calls) == 1:
            raise OperationalError("UPDATE sms_messages", {}, Exception("server closed the connection"))
        return real_record(message, result, now)

    monkeypatch.setattr(services, "record", flaky_record)
    message = notify("order_paid", Recipient("+8613800138000", "zh_CN"), order_no="KJ-16", amount="¥16.00")
    db_session.commit()
    assert jobs.send_sms(message.id) == "sent"
    db_session.refresh(message)
    [accepted] = use_stub.stub.accepted
    assert message.status == SmsStatus.SENT and message.provider_id == accepted["serial"]
