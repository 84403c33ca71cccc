"""Where a developer reads a demo SMS code: on the staff outbox page, in development with
the outbox provider. Production never shows a code there, and refuses the setting."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.core import jobs as core_jobs
from app.core.jobs import Intent
from app.notifications import events, jobs
from app.notifications.models import SmsMessage

PHONE = "+8613600009191"


def _code_delivered(client, db_session, make_user) -> SmsMessage:
    make_user(phone=PHONE, verified_phone=PHONE)
    assert client.post("/login/code/send", data={"phone": PHONE}).status_code == 200
    intent = db_session.scalar(select(Intent).where(Intent.key.like("sms-code:%")))
    assert core_jobs.run(intent.id) == "done"
    message = db_session.scalar(select(SmsMessage).where(SmsMessage.phone == PHONE))
    assert jobs.send_sms(message.id) == "sent"
    db_session.refresh(message)
    assert message.params["code"] == events.MASK, "the database forgets the code either way"
    return message


def _outbox_body(staff) -> str:
    html = staff.get("/outbox").get_data(as_text=True)
    return re.search(rf'data-phone="{re.escape(PHONE)}".*?class="sms-body"[^>]*>([^<]*)<', html, re.S).group(1)


def test_in_development_staff_read_the_code_on_the_outbox(app, client, new_client, db_session, make_user, login,
                                                         queue_name, outbox_log):
    assert app.config["SMS_OUTBOX_SHOWS_CODES"], "on by default in development with the outbox provider"
    _code_delivered(client, db_session, make_user)
    code = outbox_log.code_to(PHONE)
    staff = new_client()
    login(staff, make_user(role=None, staff_role="agent"))
    assert _outbox_body(staff) == f"【跨境采购】您的登录验证码为{code}，5分钟内有效。如非本人操作，请忽略本短信。"
    # ...and with it the code signs in, as the README says.
    assert client.post("/login/code", data={"phone": PHONE, "code": code}).status_code == 303


def test_where_codes_are_hidden_the_outbox_masks_them(client, new_client, db_session, make_user, login, use_config,
                                                      queue_name, outbox_log):
    use_config(SMS_OUTBOX_SHOWS_CODES=False)
    _code_delivered(client, db_session, make_user)
    staff = new_client()
    login(staff, make_user(role=None, staff_role="agent"))
    body = _outbox_body(staff)
    assert body == "【跨境采购】您的登录验证码为••••••，5分钟内有效。如非本人操作，请忽略本短信。"
    assert outbox_log.code_to(PHONE) not in body


def test_production_never_shows_codes(monkeypatch):
    from app import ConfigError, create_app, config

    monkeypatch.setenv("KUAJING_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("SMS_PROVIDER", "outbox")
    assert config.load()["SMS_OUTBOX_SHOWS_CODES"] is False
    monkeypatch.setenv("SMS_OUTBOX_SHOWS_CODES", "1")
    with pytest.raises(ConfigError, match="SMS_OUTBOX_SHOWS_CODES"):
        create_app()
