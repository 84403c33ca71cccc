"""One-time codes: lifecycle (expiry, reuse, wrong tries), rate limits, code login,
phone verification and SMS preferences."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import codes, recipient
from app.accounts.models import CodePurpose, PhoneCode
from app.core import jobs as core_jobs
from app.core.errors import DomainError, TooMany
from app.core.jobs import Intent, IntentStatus
from app.core.models import utcnow
from app.extensions import db
from app.notifications import events, jobs, services
from app.notifications.models import SmsMessage


def verified_user(make_user, phone: str = "+8613600001111", **kw):
    user = make_user(phone=phone, verified_phone=phone, **kw)
    db.session.flush()
    return user


_OUTBOX: list = []


def deliver_codes(db_session, phone: str) -> None:
    """Run, as a worker would, the job each code request for `phone` promised."""
    for row in db_session.scalars(select(PhoneCode).where(PhoneCode.phone == phone).order_by(PhoneCode.id)).all():
        intent = db_session.scalar(select(Intent).where(Intent.key == f"sms-code:{row.id}"))
        if intent is not None and intent.status == IntentStatus.PENDING:
            assert core_jobs.run(intent.id) == "done"


def code_sent_to(db_session, phone: str) -> str:
    """Deliver the latest SMS to `phone` through the outbox provider and read the code in it."""
    deliver_codes(db_session, phone)
    message = db_session.scalar(select(SmsMessage).where(SmsMessage.phone == phone).order_by(SmsMessage.id.desc()))
    assert jobs.send_sms(message.id) == "sent"
    return _OUTBOX[0].code_to(phone)


@pytest.fixture(autouse=True)
def _own_queue_and_request(app, queue_name, outbox_log):
    _OUTBOX[:] = [outbox_log]
    # Service calls outside a page still render their (lazy) messages in a request's language.
    with app.test_request_context(headers={"Cookie": "kj_lang=en"}):
        yield


def test_a_login_code_is_six_digits_sent_by_sms_and_stored_only_hashed(app, db_session, make_user):
    user = verified_user(make_user)
    row = codes.send_code(user.phone, CodePurpose.LOGIN, ip="10.0.0.1")
    code = code_sent_to(db_session, user.phone)
    assert re.fullmatch(r"\d{6}", code)
    assert _OUTBOX[0].texts_to(user.phone) == [f"【跨境采购】您的登录验证码为{code}，5分钟内有效。如非本人操作，请忽略本短信。"]
    assert code not in row.code_hash and len(row.code_hash) == 64
    message = db_session.get(SmsMessage, row.message_id)
    db_session.refresh(message)
    assert message.params["code"] == events.MASK and code not in message.body
    assert message.body == "【跨境采购】您的登录验证码为••••••，5分钟内有效。如非本人操作，请忽略本短信。"
    assert row.expires_at - row.created_at == timedelta(minutes=5)
    assert codes.login_with_code(user.phone, code) is user


def test_a_code_works_once(app, db_session, make_user):
    user = verified_user(make_user)
    codes.send_code(user.phone, CodePurpose.LOGIN, ip=None)
    code = code_sent_to(db_session, user.phone)
    codes.login_with_code(user.phone, code)
    with pytest.raises(DomainError, match="already been used"):
        codes.login_with_code(user.phone, code)


def test_a_code_expires_after_five_minutes(app, db_session, make_user):
    user = verified_user(make_user)
    row = codes.send_code(user.phone, CodePurpose.LOGIN, ip=None)
    code = code_sent_to(db_session, user.phone)
    with pytest.raises(DomainError, match="expired"):
        codes.login_with_code(user.phone, code, now=row.created_at + timedelta(minutes=5, seconds=1))
    assert codes.login_with_code(user.phone, code, now=row.created_at + timedelta(minutes=4, seconds=59)) is user


def test_five_wrong_tries_void_the_code(app, db_session, make_user):
    user = verified_user(make_user)
    codes.send_code(user.phone, CodePurpose.LOGIN, ip=None)
    code = code_sent_to(db_session, user.phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(DomainError, match=f"{left} tries left") as e:
            codes.login_with_code(user.phone, wrong)
        assert e.value.keeps_changes
    with pytest.raises(DomainError, match="no longer works"):
        codes.login_with_code(user.phone, wrong)
    with pytest.raises(DomainError, match="no longer works"):
        codes.login_with_code(user.phone, code)


def test_a_new_code_replaces_the_previous_one(app, db_session, make_user):
    user = verified_user(make_user)
    first = codes.send_code(user.phone, CodePurpose.LOGIN, ip=None)
    old = code_sent_to(db_session, user.phone)
    codes.send_code(user.phone, CodePurpose.LOGIN, ip=None, now=first.created_at + timedelta(seconds=61))
    new = code_sent_to(db_session, user.phone)
    assert first.voided_at is not None
    if old != new:
        with pytest.raises(DomainError):
            codes.login_with_code(user.phone, old)
    assert codes.login_with_code(user.phone, new) is user


def test_numbers_without_a_verified_account_get_no_sms_and_no_login(app, db_session, make_user):
    make_user(phone="+8613600002222")  # has the number, never verified it
    row = codes.send_code("+8613600002222", CodePurpose.LOGIN, ip=None)
    deliver_codes(db_session, "+8613600002222")
    assert row.user_id is None and row.message_id is None
    assert db_session.scalar(select(SmsMessage).where(SmsMessage.phone == "+8613600002222")) is None
    with pytest.raises(DomainError, match="not correct"):
        codes.login_with_code("+8613600002222", "123456")


# --- rate limits ----------------------------------------------------------------------------

def test_one_code_a_minute_five_an_hour_ten_a_day_per_number(app, db_session, make_user):
    user = verified_user(make_user)
    t0 = utcnow() - timedelta(days=2)
    codes.send_code(user.phone, CodePurpose.LOGIN, ip=None, now=t0)
    with pytest.raises(TooMany) as e:
        codes.send_code(user.phone, CodePurpose.LOGIN, ip=None, now=t0 + timedelta(seconds=20))
    assert e.value.retry_after == 40
    for minute in (1, 2, 3, 4):
        codes.send_code(user.phone, CodePurpose.LOGIN, ip=None, now=t0 + timedelta(minutes=minute, seconds=1))
    with pytest.raises(TooMany) as e:  # the sixth within the hour
        codes.send_code(user.phone, CodePurpose.LOGIN, ip=None, now=t0 + timedelta(minutes=10))
    assert e.value.retry_after == 50 * 60
    for hour in (1, 2, 3, 4, 5):
        codes.send_code(user.phone, CodePurpose.LOGIN, ip=None, now=t0 + timedelta(hours=hour, minutes=1))
    with pytest.raises(TooMany):  # the eleventh within the day
        codes.send_code(user.phone, CodePurpose.LOGIN, ip=None, now=t0 + timedelta(hours=12))
    codes.send_code(user.phone, CodePurpose.LOGIN, ip=None, now=t0 + timedelta(days=1, seconds=1))


def test_codes_per_ip_are_limited_across_numbers(app, db_session, use_config):
    use_config(SMS_CODE_LIMITS_PER_IP="3/hour")
    for n in range(3):
        codes.send_code(f"+861360000300{n}", CodePurpose.LOGIN, ip="203.0.113.9")
    with pytest.raises(TooMany, match="your network"):
        codes.send_code("+8613600003009", CodePurpose.LOGIN, ip="203.0.113.9")
    codes.send_code("+8613600003009", CodePurpose.LOGIN, ip="203.0.113.10")


def test_the_refusal_is_in_the_users_language(client, db_session):
    client.post("/login/code/send", data={"phone": "13600004444"})
    response = client.post("/login/code/send", data={"phone": "13600004444"})
    assert response.status_code == 429
    assert "发送到该号码的验证码过多" in response.get_data(as_text=True)
    client.set_cookie("kj_lang", "en")
    response = client.post("/login/code/send", data={"phone": "13600004444"})
    assert response.status_code == 429
    assert "Too many codes were sent to this number. Please try again in" in response.get_data(as_text=True)
    assert db_session.scalar(select(PhoneCode.id).where(PhoneCode.phone == "+8613600004444")) is not None


# --- through the pages ------------------------------------------------------------------------

def test_signing_in_with_a_code(client, db_session, make_user):
    user = verified_user(make_user, phone="+8613600005555")
    login_page = client.get("/login").get_data(as_text=True)
    assert "短信验证码登录" in login_page
    response = client.post("/login/code/send", data={"phone": "136 0000 5555"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'id="code-login"' in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True), "htmx gets the fragment alone"
    code = code_sent_to(db_session, user.phone)
    response = client.post("/login/code", data={"phone": user.phone, "code": code, "next": "/account"})
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert user.name in client.get("/account").get_data(as_text=True)


def test_a_wrong_code_counts_even_though_the_page_shows_an_error(client, db_session, make_user):
    user = verified_user(make_user, phone="+8613600006666")
    client.post("/login/code/send", data={"phone": user.phone})
    code = code_sent_to(db_session, user.phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = client.post("/login/code", data={"phone": user.phone, "code": wrong})
    assert response.status_code == 422 and "还可以尝试 4 次" in response.get_data(as_text=True)
    row = db_session.scalar(select(PhoneCode).where(PhoneCode.phone == user.phone))
    db_session.refresh(row)
    assert row.attempts == 1
    response = client.post("/login/code", data={"phone": user.phone, "code": "12ab"})
    assert response.status_code == 422 and "请输入短信中的 6 位验证码" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302, "still signed out"


def test_verifying_a_phone_number_on_the_profile_page(client, db_session, make_user, login):
    user = make_user(phone="+8613600007777")
    login(client, user)
    page = client.get("/account").get_data(as_text=True)
    assert "验证手机号" in page
    response = client.post("/account/phone/send", data={"phone": "13600008888"})
    assert response.status_code == 200
    code = code_sent_to(db_session, "+8613600008888")
    response = client.post("/account/phone/verify", data={"phone": "+8613600008888", "code": code})
    assert response.status_code == 303
    db_session.expire_all()
    assert user.phone == "+8613600008888"
    assert user.verified_phone == "+8613600008888" and user.phone_is_verified
    assert "+8613600008888 已验证" in client.get("/account").get_data(as_text=True)


def test_a_number_verified_on_another_account_is_refused(client, db_session, make_user, login):
    verified_user(make_user, phone="+8613600009999")
    login(client, make_user())
    response = client.post("/account/phone/send", data={"phone": "+8613600009999"})
    assert response.status_code == 422
    assert "该手机号已在其他账户上验证" in response.get_data(as_text=True)


def test_opting_out_on_the_profile_page(client, db_session, make_user, login):
    user = verified_user(make_user, phone="+8613600001212")
    login(client, user)
    response = client.post("/account/sms-preferences", data={"receive": ["payments"]})
    assert response.status_code == 303
    assert services.notify("order_paid", recipient(user), order_no="KJ-1", amount="¥1.00") is None
    assert services.notify("ticket_replied", recipient(user), ticket_no="T-1") is None
    assert services.notify("statement_ready", recipient(user), period="2026-10") is not None
    html = client.get("/account").get_data(as_text=True)
    assert re.search(r'value="payments"[^>]*checked|checked[^>]*value="payments"', html)
    assert not re.search(r'value="orders"[^>]*checked|checked[^>]*value="orders"', html)


@pytest.mark.parametrize("typed", ["١٢٣٤٥٦", "१२३४५६"])
def test_digits_other_than_ascii_never_cost_a_try(client, db_session, make_user, typed):
    user = verified_user(make_user, phone="+8613600003434")
    client.post("/login/code/send", data={"phone": user.phone})
    response = client.post("/login/code", data={"phone": user.phone, "code": typed})
    assert response.status_code == 422 and "请输入短信中的 6 位验证码" in response.get_data(as_text=True)
    row = db_session.scalar(select(PhoneCode).where(PhoneCode.phone == user.phone))
    db_session.refresh(row)
    assert row.attempts == 0, "a code the form refuses is not a wrong try"


def test_full_width_digits_of_the_right_code_sign_in(client, db_session, make_user):
    user = verified_user(make_user, phone="+8613600004545")
    client.post("/login/code/send", data={"phone": user.phone})
    code = code_sent_to(db_session, user.phone)
    full_width = code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = client.post("/login/code", data={"phone": user.phone, "code": full_width})
    assert response.status_code == 303


def test_probing_numbers_verified_elsewhere_counts_toward_the_limits(client, db_session, make_user, login):
    verified_user(make_user, phone="+8613600002323")
    login(client, make_user())
    first = client.post("/account/phone/send", data={"phone": "+8613600002323"})
    assert first.status_code == 422 and "该手机号已在其他账户上验证" in first.get_data(as_text=True)
    again = client.post("/account/phone/send", data={"phone": "+8613600002323"})
    assert again.status_code == 429 and "发送到该号码的验证码过多" in again.get_data(as_text=True)
    assert db_session.scalar(select(SmsMessage).where(SmsMessage.phone == "+8613600002323")) is None


def test_a_code_message_is_never_sent_once_its_code_expired(app, db_session, make_user):
    # Redis was down for longer than the code lives: the sweep runs the job too late.
    user = verified_user(make_user, phone="+8613600005656")
    late = codes.send_code(user.phone, CodePurpose.LOGIN, ip=None, now=utcnow() - timedelta(minutes=7))
    assert codes.deliver(late.id) == "stale" and late.message_id is None
    # The code was chosen in time, but its message waited past the code's expiry.
    row = codes.send_code(user.phone, CodePurpose.LOGIN, ip=None, now=utcnow() - timedelta(minutes=6))
    assert codes.deliver(row.id, now=row.created_at + timedelta(minutes=1)) == "queued"
    message = db_session.get(SmsMessage, row.message_id)
    assert message.expires_at == row.expires_at
    assert jobs.send_sms(message.id) == "failed"
    db_session.refresh(message)
    assert message.error_code == "expired" and message.attempts == 0
    assert _OUTBOX[0].texts_to(user.phone) == [], "nothing reached the phone"
    assert message.params["code"] == events.MASK


def test_a_code_replaced_by_a_newer_one_is_not_sent(app, db_session, make_user):
    user = verified_user(make_user, phone="+8613600006767")
    old = codes.send_code(user.phone, CodePurpose.LOGIN, ip=None, now=utcnow() - timedelta(minutes=2))
    deliver_codes(db_session, user.phone)  # its message waits for a worker...
    new = codes.send_code(user.phone, CodePurpose.LOGIN, ip=None)
    deliver_codes(db_session, user.phone)  # ...when the newer code is chosen
    withdrawn = db_session.get(SmsMessage, old.message_id)
    assert withdrawn.status.value == "failed" and withdrawn.error_code == "superseded"
    assert jobs.send_sms(old.message_id) == "skipped"
    assert jobs.send_sms(new.message_id) == "sent"
    assert len(_OUTBOX[0].texts_to(user.phone)) == 1, "only the code that works went out"
    assert codes.login_with_code(user.phone, _OUTBOX[0].code_to(user.phone)) is user


def test_the_profile_says_optional_messages_need_a_verified_number(client, db_session, make_user, login):
    user = make_user(phone="+8613600007878")
    login(client, user)
    assert "这些短信只发送到已验证的手机号" in client.get("/account").get_data(as_text=True)
    user.verified_phone = user.phone
    db_session.flush()
    assert "这些短信只发送到已验证的手机号" not in client.get("/account").get_data(as_text=True)
