"""Charges and their payment at WeChat Pay: prepay, the one apply function, queries (closing
is in closing.py).

Every way money can be learnt about (a notify, a poll, a close that finds the order paid,
an operator's re-query) goes through `apply()`, which locks the charge, checks the
amount and currency against it, and records a WeChat transaction once. The first
payment of a charge tells its owner (an order) through the handler the owner registered;
a second one is recorded and refunded automatically.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import jobs, states
from app.core.errors import DomainError
from app.core.models import utcnow
from app.extensions import db
from app.payments import gateway as gw
from app.payments.models import (
    ATTEMPT_MACHINE,
    CHARGE_MACHINE,
    Attempt,
    AttemptStatus,
    Charge,
    ChargeStatus,
    Payment,
    Query,
)


# How long WeChat keeps a prepay: QR codes and JSAPI prepays 2 hours, H5 links 5 minutes.
PREPAY_LIFETIME = {gw.TradeType.NATIVE: timedelta(hours=2), gw.TradeType.JSAPI: timedelta(hours=2),
                   gw.TradeType.MWEB: timedelta(minutes=5)}
# Polls after a prepay: +5 s, +15 s, +30 s, +60 s, then every two minutes until it expires.
POLL_OFFSETS = (5, 15, 30, 60)
POLL_EVERY = 120
# WeChat refuses to close an order in its first five minutes.
CLOSE_NOT_BEFORE = timedelta(minutes=5)


class PaymentUnavailable(DomainError):
    code = "payment_unavailable"
    status = 503


class Mismatch(DomainError):
    """What WeChat says was paid is not what the charge asks (amount, currency)."""

    code = "payment_mismatch"
    status = 409


def get_gateway() -> gw.PaymentGateway:
    """The configured gateway (WeChat Pay, or the simulator in development), built once per app."""
    from app.payments.wechatpay import gateway_from_config

    app = current_app._get_current_object()
    found = app.extensions.get("kj_gateway")
    if found is None:
        from app.core.security import public_url

        # Unless configured, WeChat posts its notifies to our own routes on PUBLIC_BASE_URL.
        urls = {name: app.config.get(name) or public_url(endpoint) for name, endpoint in (
            ("WECHATPAY_NOTIFY_URL", "payments.payment_notify"), ("WECHATPAY_REFUND_NOTIFY_URL", "payments.refund_notify"))}
        found = app.extensions["kj_gateway"] = gateway_from_config({**app.config, "INSTANCE_PATH": app.instance_path,
                                                                    **urls})
    return found


def simulator_base() -> str | None:
    """The WeChat Pay simulator's address ("http://host:port/") when the portal talks to one
    outside production, for development pages that link to its payer pages; None otherwise,
    so that production pages never do, whatever WECHATPAY_API_BASE says."""
    from urllib.parse import urlsplit

    from app.payments.wechatpay import REAL_HOSTS

    if current_app.config.get("ENV_NAME") == "production":
        return None
    base = str(current_app.config.get("WECHATPAY_API_BASE") or "")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.hostname in REAL_HOSTS:
        return None
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/"


# --- owners -------------------------------------------------------------------------------

def charged_key(charge_id: int) -> str:
    """The ledger event under which the owner books what a paid charge charges the payer's
    company (Dr its customer account, Cr whoever is owed); refunds reverse that entry."""
    return f"charge:{charge_id}"


def payment_key(transaction_id: str) -> str:
    """The ledger event of one payment WeChat received (Dr clearing, Cr the payer's account)."""
    return f"payment:{transaction_id}"


@dataclass(frozen=True)
class Paid:
    """What an owner hears when its charge is paid; it books the charge under
    `charged_key(charge_id)` and the payment under `payment_key(transaction_id)`."""

    charge_id: int
    payment_id: int
    transaction_id: str
    amount_fen: int
    trade_type: str
    paid_at: datetime
    late: bool          # the charge had been closed (expired or cancelled) before the money came


@dataclass(frozen=True)
class Owner:
    on_paid: Callable[[int, Paid], None]
    on_closed: Callable[[int, str], None]
    # A refund of the owner's charge came through, or went wrong at WeChat (a person must act).
    on_refund: Callable[[int, Any], None] | None = None
    on_customs: Callable[[int, Any], None] | None = None


def register_owner(app, owner_type: str, *, on_paid: Callable[[int, Paid], None],
                   on_closed: Callable[[int, str], None], on_refund: Callable[[int, Any], None] | None = None,
                   on_customs: Callable[[int, Any], None] | None = None) -> None:
    """Let `owner_type` rows (orders) be paid: their handlers run in the transaction that records it."""
    app.extensions.setdefault("kj_payment_owners", {})[owner_type] = Owner(on_paid, on_closed, on_refund, on_customs)


def owner_of(charge: Charge) -> Owner:
    return current_app.extensions["kj_payment_owners"][charge.owner_type]


# --- charges and prepay ----------------------------------------------------------------------

def new_number(prefix: str = "KJ") -> str:
    """An order number WeChat accepts as the base of out_trade_no: "KJ" + yymmdd + 8 random."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    day = utcnow().astimezone(gw.BEIJING).strftime("%y%m%d")
    return prefix + day + "".join(secrets.choice(alphabet) for _ in range(8))


def open_charge(owner_type: str, owner_id: int, *, number: str, amount_fen: int, body: str,
                expires_at: datetime) -> Charge:
    """What the owner is to be paid; it closes itself at `expires_at` unless paid by then."""
    if amount_fen <= 0:
        raise ValueError("a charge is for a positive amount")
    charge = Charge(owner_type=owner_type, owner_id=owner_id, number=number, amount_fen=amount_fen,
                    body=body[:127], expires_at=expires_at)
    db.session.add(charge)
    db.session.flush()
    from app.payments.jobs import expire_charge

    jobs.after_commit(expire_charge, charge.id, key=f"charge-expiry:{charge.id}", at=expires_at)
    return charge


def charge_for(owner_type: str, owner_id: int, *, lock: bool = False) -> Charge | None:
    stmt = select(Charge).where(Charge.owner_type == owner_type, Charge.owner_id == owner_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def _lock_charge(charge_id: int) -> Charge:
    return db.session.scalar(select(Charge).where(Charge.id == charge_id).with_for_update()
                             .execution_options(populate_existing=True))


_SUFFIX = {gw.TradeType.NATIVE: "N", gw.TradeType.JSAPI: "J", gw.TradeType.MWEB: "M"}


def prepay(charge: Charge, trade_type: gw.TradeType, *, client_ip: str, openid: str | None = None,
           scene_info: dict[str, Any] | None = None, now: datetime | None = None) -> Attempt:
    """An attempt the payer can pay: a QR code_url, a JSAPI prepay_id or an H5 mweb_url.

    An open attempt of the same kind whose prepay is still good is handed out again;
    otherwise WeChat is asked for a new one under a new out_trade_no, and polling starts.
    Raises DomainError when the charge can no longer be paid, PaymentUnavailable when
    WeChat Pay does not answer.
    """
    now = now or utcnow()
    charge = _lock_charge(charge.id)
    if charge.status == ChargeStatus.PAID:
        raise DomainError(_l("This order is already paid."), code="already_paid", status=409)
    if charge.status != ChargeStatus.OPEN or charge.closing_since is not None or charge.expires_at <= now:
        raise DomainError(_l("This order can no longer be paid: it was closed."), code="closed", status=409)
    for attempt in charge.attempts:
        if (attempt.status == AttemptStatus.OPEN and attempt.trade_type == trade_type
                and attempt.prepay_expires_at and attempt.prepay_expires_at > now + timedelta(minutes=1)
                and (trade_type != gw.TradeType.JSAPI or attempt.openid == openid)):
            return attempt
    count = sum(1 for a in charge.attempts if a.trade_type == trade_type)
    attempt = Attempt(charge_id=charge.id, out_trade_no=f"{charge.number}{_SUFFIX[trade_type]}{count + 1}",
                      trade_type=trade_type, openid=openid, client_ip=client_ip)
    db.session.add(attempt)
    db.session.flush()
    try:
        prepared = get_gateway().prepay(gw.PrepayRequest(
            out_trade_no=attempt.out_trade_no, body=charge.body, total_fee=charge.amount_fen,
            trade_type=trade_type, client_ip=client_ip, openid=openid, scene_info=scene_info,
            attach=charge.number, expires_at=charge.expires_at))
    except gw.GatewayUnavailable:
        raise PaymentUnavailable(_l("WeChat Pay is not answering at the moment. Please try again in a minute.")) from None
    except gw.OrderAlreadyPaid:
        query(attempt, "prepay")
        raise DomainError(_l("This order is already paid."), code="already_paid", status=409) from None
    except (gw.GatewayRejected, gw.BadReply, gw.BadSignature) as e:
        current_app.logger.warning("prepay %s refused: %s", attempt.out_trade_no, e)
        raise PaymentUnavailable(_l("WeChat Pay could not prepare this payment. Please try again, or pay another way.")) from None
    attempt.prepay_id, attempt.code_url, attempt.mweb_url = prepared.prepay_id, prepared.code_url, prepared.mweb_url
    attempt.prepay_expires_at = min(now + PREPAY_LIFETIME[trade_type], charge.expires_at)
    db.session.flush()
    _schedule_poll(attempt, 1, POLL_OFFSETS[0])
    return attempt


def _schedule_poll(attempt: Attempt, n: int, delay: float) -> None:
    from app.payments.jobs import poll_attempt

    jobs.after_commit(poll_attempt, attempt.id, n, key=f"poll:{attempt.id}:{n}", delay=delay)


def next_poll_delay(n: int) -> int:
    """Seconds from poll `n` to poll n + 1 (polls at +5, +15, +30, +60 s, then every 2 minutes)."""
    if n < len(POLL_OFFSETS):
        return POLL_OFFSETS[n] - POLL_OFFSETS[n - 1]
    return POLL_EVERY


# --- learning about money ------------------------------------------------------------------

@dataclass(frozen=True)
class Result:
    """A payment as WeChat reports it (from a notify or an order query), amounts as received."""

    out_trade_no: str
    transaction_id: str
    total_fee: int
    cash_fee: int
    coupon_fee: int
    settlement_total_fee: int | None
    fee_type: str
    trade_type: str
    bank_type: str
    openid: str
    paid_at: datetime | None
    raw: dict[str, Any]

    @classmethod
    def of_notice(cls, n: gw.PaymentNotice) -> Result:
        return cls(n.out_trade_no, n.transaction_id, n.total_fee, n.cash_fee, n.coupon_fee,
                   n.settlement_total_fee, n.fee_type, n.trade_type, n.bank_type, n.openid, n.paid_at, dict(n.raw))

    @classmethod
    def of_status(cls, s: gw.OrderStatus) -> Result:
        return cls(s.out_trade_no, s.transaction_id or "", s.total_fee or 0, s.cash_fee or s.total_fee or 0,
                   s.coupon_fee, s.settlement_total_fee, s.fee_type, s.trade_type or "", s.bank_type or "",
                   s.openid or "", s.paid_at, {})


def attempt_by_number(out_trade_no: str) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(Attempt.out_trade_no == out_trade_no))


def apply(result: Result, via: str, *, now: datetime | None = None) -> str:
    """Record a payment WeChat reports, once; returns "applied", "duplicate" or "extra".

    Locks the charge, so that concurrent notifies and polls of one order queue up here.
    The amount and currency must be the charge's, else Mismatch and nothing changes. A
    transaction id already recorded is a duplicate. The first payment of a charge marks
    it paid (also when it had been closed: money that arrived is never lost) and tells
    its owner; a further one is recorded as extra and refunded automatically. Raises
    LookupError when no attempt has this out_trade_no (the notify came first: WeChat
    will retry).
    """
    attempt = attempt_by_number(result.out_trade_no)
    if attempt is None:
        raise LookupError(result.out_trade_no)
    charge = _lock_charge(attempt.charge_id)
    attempt = db.session.get(Attempt, attempt.id, populate_existing=True)
    if result.total_fee != charge.amount_fen or result.fee_type != charge.currency:
        raise Mismatch(_l("The amount WeChat Pay reports does not match the order."))
    if not result.transaction_id:
        raise Mismatch(_l("The amount WeChat Pay reports does not match the order."))
    if db.session.scalar(select(Payment.id).where(Payment.transaction_id == result.transaction_id)) is not None:
        return "duplicate"
    now = now or utcnow()
    extra = charge.status == ChargeStatus.PAID
    payment = Payment(charge_id=charge.id, attempt_id=attempt.id, transaction_id=result.transaction_id,
                      total_fee=result.total_fee, cash_fee=result.cash_fee, coupon_fee=result.coupon_fee,
                      settlement_total_fee=result.settlement_total_fee, fee_type=result.fee_type,
                      trade_type=result.trade_type or attempt.trade_type.value, bank_type=result.bank_type,
                      openid=result.openid, paid_at=result.paid_at or now, received_via=via, extra=extra,
                      raw=result.raw)
    db.session.add(payment)
    db.session.flush()
    if attempt.status != AttemptStatus.PAID:
        states.apply(ATTEMPT_MACHINE, attempt, AttemptStatus.PAID, note=via)
    if extra:
        from app.payments import refunds

        refunds.refund_extra(charge, payment)
        return "extra"
    late = charge.status == ChargeStatus.CLOSED
    states.apply(CHARGE_MACHINE, charge, ChargeStatus.PAID, at=payment.paid_at, note=via)
    owner_of(charge).on_paid(charge.owner_id, Paid(charge.id, payment.id, payment.transaction_id, payment.total_fee,
                                                  payment.trade_type, payment.paid_at, late))
    return "applied"


def query(attempt: Attempt, reason: str) -> gw.OrderStatus | None:
    """Ask WeChat how an attempt stands, keep the answer, and apply a payment it reports.

    Returns None when WeChat does not answer (kept as such in the history).
    """
    try:
        status = get_gateway().query_order(out_trade_no=attempt.out_trade_no)
    except gw.OrderNotFound:
        db.session.add(Query(attempt_id=attempt.id, reason=reason, trade_state="ORDERNOTEXIST"))
        return None
    except gw.GatewayError as e:
        db.session.add(Query(attempt_id=attempt.id, reason=reason, detail=f"{type(e).__name__}: {e}"[:500]))
        return None
    attempt.polls += 1
    attempt.last_polled_at = utcnow()
    attempt.last_trade_state = status.trade_state.value
    db.session.add(Query(attempt_id=attempt.id, reason=reason, trade_state=status.trade_state.value,
                         detail=status.trade_state_desc[:500] or None))
    db.session.flush()
    if status.is_paid:
        apply(Result.of_status(status), "query")
    return status
