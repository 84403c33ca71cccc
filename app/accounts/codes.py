"""One-time SMS codes for login and phone verification, and their rate limits.

Codes are 6 digits, valid SMS_CODE_TTL_SECONDS (5 minutes), used once, stored only
as an HMAC keyed with the app's secret, and void after SMS_CODE_MAX_TRIES wrong
tries. Sending is limited per number and per client IP; the counts come from the
code rows themselves, under a per-number lock, so they hold across processes and
survive a Redis outage. A request records the code row and one intent, whoever
holds the number; the job (`deliver`) picks the code and texts it, or nobody.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from limits import parse_many
from sqlalchemy import select, text, update

from app import notifications
from app.accounts.models import CodePurpose, PhoneCode, User
from app.core import jobs
from app.core.errors import DomainError, RecordedRefusal, TooMany
from app.core.i18n import wait_text
from app.core.models import utcnow
from app.extensions import db

EVENT_FOR = {CodePurpose.LOGIN: "login_code", CodePurpose.VERIFY_PHONE: "phone_verification"}


class CodeRefused(DomainError):
    """A code that cannot be sent or accepted (expired, used, wrong number)."""

    code = "code_refused"


class WrongCode(RecordedRefusal):
    """A wrong try: counted (and the code voided at the last one) although the request fails."""

    code = "wrong_code"


def _limited(message: object, wait: int) -> TooMany:
    return TooMany(message, "phone", retry_after=wait)


def _hash(row_nonce: str, phone: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{row_nonce}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _lock(key: str) -> None:
    """Serialise code requests for one number (PostgreSQL; SQLite has one writer anyway)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


def _wait(column, value: str, limits: str, now: datetime) -> int:
    """Seconds until one more code is allowed for `column == value`, 0 when allowed now."""
    longest = 0
    for item in parse_many(limits):
        window = timedelta(seconds=item.get_expiry())
        blocking = db.session.scalar(
            select(PhoneCode.created_at).where(column == value, PhoneCode.created_at > now - window)
            .order_by(PhoneCode.created_at.desc()).offset(item.amount - 1).limit(1))
        if blocking is not None:
            longest = max(longest, math.ceil((blocking + window - now).total_seconds()))
    return longest


def _check_limits(phone: str, ip: str | None, now: datetime) -> None:
    cfg = current_app.config
    wait = _wait(PhoneCode.phone, phone, cfg["SMS_CODE_LIMITS_PER_PHONE"], now)
    if wait:
        raise _limited(_l("Too many codes were sent to this number. Please try again in %(wait)s.",
                          wait=wait_text(wait)), wait)
    if ip:
        wait = _wait(PhoneCode.ip, ip, cfg["SMS_CODE_LIMITS_PER_IP"], now)
        if wait:
            raise _limited(_l("Too many codes were requested from your network. Please try again in %(wait)s.",
                              wait=wait_text(wait)), wait)


def user_for_login(phone: str) -> User | None:
    """The active account whose verified phone number this is."""
    return db.session.scalar(
        select(User).where(User.verified_phone == phone, User.phone == phone, User.active.is_(True)))


def _unusable_hash(nonce: str, phone: str) -> str:
    return _hash(nonce, phone, secrets.token_hex(8))  # of a code nobody is ever told


def send_code(phone: str, purpose: CodePurpose, *, ip: str | None, user: User | None = None,
              now: datetime | None = None) -> PhoneCode:
    """Record a code request for `phone` and promise its SMS; earlier open codes stop working.

    The request does the same work whoever holds the number (the same statements, so
    neither replies, limits nor timing tell which numbers have accounts): it records
    the code row and one intent, and the job (`deliver`) decides whether there is
    anyone to text. For verification `user` is the one signed in. Raises TooMany past
    the per-number or per-IP limits, and a RecordedRefusal (the attempt counts toward
    the limits) when the number is verified on another account.
    """
    from app.accounts.jobs import text_code

    now = now or utcnow()
    _lock(f"sms-code:{phone}")
    _check_limits(phone, ip, now)
    if purpose == CodePurpose.VERIFY_PHONE:
        if user is None:
            raise ValueError("phone verification needs the user")
        owner = db.session.scalar(select(User.id).where(User.verified_phone == phone))
        if owner is not None and owner != user.id:
            # The refusal counts like a sent code (a void row, nothing sent): otherwise
            # asking about number after number would find verified ones without limit.
            nonce = secrets.token_hex(16)
            db.session.add(PhoneCode(phone=phone, purpose=purpose, user_id=user.id, nonce=nonce,
                                     code_hash=_unusable_hash(nonce, phone), ip=ip,
                                     created_at=now, expires_at=now, voided_at=now))
            db.session.flush()
            raise RecordedRefusal(_l("This mobile number is already verified on another account."), "phone")
    db.session.execute(update(PhoneCode).where(
        PhoneCode.phone == phone, PhoneCode.purpose == purpose,
        PhoneCode.consumed_at.is_(None), PhoneCode.voided_at.is_(None)).values(voided_at=now))
    nonce = secrets.token_hex(16)
    row = PhoneCode(phone=phone, purpose=purpose, nonce=nonce, code_hash=_unusable_hash(nonce, phone), ip=ip,
                    user_id=user.id if purpose == CodePurpose.VERIFY_PHONE and user else None, created_at=now,
                    expires_at=now + timedelta(seconds=current_app.config["SMS_CODE_TTL_SECONDS"]))
    db.session.add(row)
    db.session.flush()
    jobs.after_commit(text_code, row.id, key=f"sms-code:{row.id}")
    return row


def deliver(code_id: int, now: datetime | None = None) -> str:
    """Choose the code recorded as `code_id` and queue its SMS, if there is anyone to text.

    A login code goes only to the active account that verified the number (the row then
    names it); for any other number nothing is sent and the row keeps a code nobody
    knows. A code no longer open (replaced, used, expired) is not sent, and a code
    message of the number still waiting to go out is withdrawn: only the newest works.
    Returns what happened.
    """
    now = now or utcnow()
    row = db.session.get(PhoneCode, code_id, with_for_update=True, populate_existing=True)
    if row is None or row.message_id is not None:
        return "skipped"
    if row.voided_at is not None or row.consumed_at is not None or row.expires_at <= now:
        return "stale"
    user = user_for_login(row.phone) if row.purpose == CodePurpose.LOGIN else db.session.get(User, row.user_id)
    if user is None:
        return "nobody"
    for old in db.session.scalars(select(PhoneCode).where(
            PhoneCode.phone == row.phone, PhoneCode.purpose == row.purpose, PhoneCode.id != row.id,
            PhoneCode.voided_at.is_not(None), PhoneCode.message_id.is_not(None), PhoneCode.expires_at > now)):
        notifications.withdraw(old.message_id, "superseded")  # a replaced code must not go out late
    code = f"{secrets.randbelow(10**6):06d}"
    row.user_id = user.id
    row.code_hash = _hash(row.nonce, row.phone, code)
    message = notifications.notify(EVENT_FOR[row.purpose], notifications.Recipient(row.phone, user.language, user.id),
                                   about=row, expires_at=row.expires_at, code=code,
                                   minutes=current_app.config["SMS_CODE_TTL_SECONDS"] // 60)
    row.message_id = message.id if message else None
    db.session.flush()
    return "queued"


def check_code(phone: str, purpose: CodePurpose, code: str, *, user: User | None = None,
               now: datetime | None = None) -> PhoneCode:
    """Use the latest code sent to `phone`; returns its row, marked used.

    Raises WrongCode for a wrong code, counting the try (and voiding the code at the
    last one) although the request fails, and CodeRefused for an expired, used or void code.
    """
    now = now or utcnow()
    stmt = select(PhoneCode).where(PhoneCode.phone == phone, PhoneCode.purpose == purpose)
    if user is not None:
        stmt = stmt.where(PhoneCode.user_id == user.id)
    row = db.session.scalar(stmt.order_by(PhoneCode.id.desc()).limit(1).with_for_update())
    if row is None:
        raise CodeRefused(_l("No code was sent to this number. Request a code first."), "code")
    if row.consumed_at is not None:
        raise CodeRefused(_l("This code has already been used. Request a new one."), "code")
    if row.voided_at is not None:
        raise CodeRefused(_l("This code no longer works after too many wrong tries. Request a new one."), "code")
    if row.expires_at <= now:
        raise CodeRefused(_l("This code has expired. Request a new one."), "code")
    ok = hmac.compare_digest(row.code_hash, _hash(row.nonce, phone, code.strip()))
    if not ok or row.user_id is None:
        row.attempts += 1
        left = current_app.config["SMS_CODE_MAX_TRIES"] - row.attempts
        if left <= 0:
            row.voided_at = now
        db.session.flush()
        if left <= 0:
            raise WrongCode(_l("The code is not correct, and it no longer works after too many wrong tries. Request a new one."), "code")
        raise WrongCode(_l("The code is not correct. You have %(n)d tries left.", n=left), "code")
    row.consumed_at = now
    db.session.flush()
    return row


def login_with_code(phone: str, code: str, now: datetime | None = None) -> User:
    """The user signing in with the code sent to their verified number. Raises CodeRefused or WrongCode."""
    row = check_code(phone, CodePurpose.LOGIN, code, now=now)
    user = db.session.get(User, row.user_id)
    if user is None or not user.active or user_for_login(phone) is not user:
        raise CodeRefused(_l("This number cannot be used to sign in. Sign in with your password."), "code")
    user.last_login_at = now or utcnow()
    db.session.flush()
    return user


def verify_phone(user: User, phone: str, code: str, now: datetime | None = None) -> User:
    """Record that `user` holds `phone` (and make it their mobile number). Raises CodeRefused or WrongCode."""
    now = now or utcnow()
    check_code(phone, CodePurpose.VERIFY_PHONE, code, user=user, now=now)
    owner = db.session.scalar(select(User.id).where(User.verified_phone == phone))
    if owner is not None and owner != user.id:
        raise CodeRefused(_l("This mobile number is already verified on another account."), "code")
    user.verified_phone = phone
    user.phone_verified_at = now
    user.phone = phone
    db.session.flush()
    return user
