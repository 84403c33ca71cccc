"""Refunds: money going back to the payer, sent once with a unique out_refund_no and confirmed
by WeChat's refund notify or its refund query.

A refund is asked for (by the buyer, or an agent on their behalf), approved or rejected
by a person, sent, and confirmed. Approval is where the money is promised back: it locks
the charge, so that refunds approved at once never add up to more than was paid, and
books the reversal of the charge (each supplier's payable, the commission and the taxes,
in proportion) as owed to the payer's company, a credit on its account; confirmation
moves the money out of clearing and settles that credit. The refunds of one charge go
to WeChat one at a time. A second payment of a charge already paid is refunded at once,
without asking anyone.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app import ledger
from app.core import jobs, states
from app.core.errors import Conflict, DomainError
from app.core.models import utcnow
from app.extensions import db
from app.payments import gateway as gw
from app.payments.models import REFUND_MACHINE, Charge, Payment, Refund, RefundStatus



# WeChat refunds a payment within a year of it (TRADE_OVERDUE after that).
REFUNDABLE_FOR = timedelta(days=365)


def _number(payment: Payment, n: int) -> str:
    return f"R{payment.transaction_id[-20:]}{n:02d}"


@dataclass(frozen=True)
class Settled:
    """What an owner hears about one of its refunds: it came through, or WeChat refused it."""

    refund_id: int
    amount_fen: int
    status: RefundStatus
    detail: dict[str, Any]


def _charged(charge_id: int) -> ledger.JournalEntry | None:
    """The entry that charged the payer's company for the charge (see payments.charged_key);
    None for a charge booked before companies had an account of their own."""
    from app.payments.services import charged_key

    return ledger.entry(charged_key(charge_id))


def _payer(charged: ledger.JournalEntry | None, amount_fen: int) -> ledger.Line:
    """A posting to whoever paid: the company's account, or refunds due for a charge booked
    before companies had accounts (its refunds are owed back through refunds due, as before)."""
    if charged is None or charged.company_id is None:
        return ledger.Line(ledger.REFUNDS_DUE, amount_fen)
    return ledger.customer(charged.company_id, amount_fen)


def _main_payment(charge: Charge) -> Payment:
    found = db.session.scalar(select(Payment).where(Payment.charge_id == charge.id, Payment.extra.is_(False))
                              .order_by(Payment.id).limit(1))
    if found is None:
        raise DomainError(_l("Only a paid order can be refunded."), code="not_paid", status=409)
    return found


def committed_total(charge_id: int) -> int:
    """What is promised back already: approved, being sent, sent, or refunded (not extras)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
        Refund.charge_id == charge_id, Refund.automatic.is_(False),
        Refund.status.in_([RefundStatus.APPROVED, RefundStatus.PROCESSING, RefundStatus.SUCCEEDED,
                           RefundStatus.FAILED]))) or 0)


def refundable(charge: Charge) -> int:
    """What may still be refunded of a paid charge, in fen."""
    if charge.status.value != "paid":
        return 0
    return _main_payment(charge).total_fee - committed_total(charge.id)


def _check_overdue(payment: Payment, now: datetime) -> None:
    if payment.paid_at and payment.paid_at + REFUNDABLE_FOR < now:
        raise DomainError(_l("This order was paid more than a year ago: WeChat Pay no longer refunds it. "
                             "Settle it with the buyer another way."), code="trade_overdue", status=409)


def request(charge: Charge, amount_fen: int, reason: str, *, requested_by_id: int | None,
            detail: dict[str, Any] | None = None, now: datetime | None = None) -> Refund:
    """Ask for a refund of `amount_fen` of a paid charge, for a person to approve.

    Raises DomainError when the charge is not paid, the amount is not positive or more
    than what is left to refund, or the payment is over a year old (WeChat refuses it).
    """
    now = now or utcnow()
    payment = _main_payment(charge)
    _check_overdue(payment, now)
    if amount_fen <= 0:
        raise DomainError(_l("Enter an amount to refund."), "amount", code="amount")
    left = refundable(charge)
    if amount_fen > left:
        raise DomainError(_l("At most %(left)s is left to refund on this order.", left=_money(left)),
                          "amount", code="over_refundable")
    n = db.session.scalar(select(func.count()).select_from(Refund).where(Refund.payment_id == payment.id)) + 1
    refund = Refund(charge_id=charge.id, payment_id=payment.id, out_refund_no=_number(payment, n),
                    amount_fen=amount_fen, reason=reason[:200], requested_by_id=requested_by_id,
                    detail=detail or {})
    db.session.add(refund)
    db.session.flush()
    return refund


def _money(fen: int) -> str:
    from app.core.money import format_money

    return format_money(fen)


def approve(refund_id: int, *, actor_id: int, note: str = "", now: datetime | None = None,
            basis: Sequence[ledger.Line] = ()) -> Refund:
    """Approve a requested refund and send it after the commit.

    Locks the charge first: two approvals at once are decided one after the other, and
    the one that would refund more than was paid is refused (Conflict). Books the
    reversal as owed to the payer, taken from whom `basis` says first (the credits booked
    for the refunded lines; see `ledger.reversal`). Raises IllegalTransition when it was
    decided already.
    """
    from app.payments.services import _lock_charge

    now = now or utcnow()
    refund = db.session.get(Refund, refund_id)
    charge = _lock_charge(refund.charge_id)
    refund = _lock(refund_id)
    payment = db.session.get(Payment, refund.payment_id)
    _check_overdue(payment, now)
    if refund.status != RefundStatus.REQUESTED:  # a failed one is sent again (retry), never approved twice
        raise states.IllegalTransition(REFUND_MACHINE, refund, refund.status, RefundStatus.APPROVED,
                                       _l("This refund was decided already."))
    if refund.amount_fen > refundable(charge):
        raise Conflict(_l("Approving this would refund more than was paid: at most %(left)s is left.",
                          left=_money(refundable(charge))), "amount")
    states.apply(REFUND_MACHINE, refund, RefundStatus.APPROVED, actor_id=actor_id, note=note or None,
                 message=_l("This refund was decided already."))
    from app.payments.services import payment_key

    charged = _charged(charge.id)
    # Before companies had accounts, the payment's own entry credited the parties.
    original = charged or ledger.entry(payment_key(payment.transaction_id))
    payer = _payer(charged, 0)
    ledger.post(f"refund-approved:{refund.out_refund_no}", "refund_approved",
                ledger.reversal(original, refund.amount_fen, payer.code, basis,
                                party=(payer.party_type, payer.party_id)),
                memo=f"refund {refund.out_refund_no} of {charge.number}", order_id=original.order_id,
                company_id=original.company_id, at=now, reverses=original)
    send_later(refund)
    return refund


def reject(refund_id: int, *, actor_id: int, note: str) -> Refund:
    """Turn a refund request down with a note the buyer sees."""
    refund = _lock(refund_id)
    states.apply(REFUND_MACHINE, refund, RefundStatus.REJECTED, actor_id=actor_id, note=note or None,
                 message=_l("This refund was decided already."))
    refund.last_error = note or None
    db.session.flush()
    return refund


def retry(refund_id: int, *, actor_id: int) -> Refund:
    """Send a refund WeChat refused (CHANGE, REFUNDCLOSE) again once a person sorted it out."""
    refund = _lock(refund_id)
    states.apply(REFUND_MACHINE, refund, RefundStatus.APPROVED, actor_id=actor_id, note="sent again",
                 message=_l("Only a refund that failed can be sent again."))
    refund.out_refund_no = refund.out_refund_no[:60] + f"-{refund.attempts + 1}"
    refund.attempts += 1
    refund.last_error = None
    send_later(refund)
    return refund


def refund_extra(charge: Charge, payment: Payment) -> Refund:
    """Give back a second payment of a charge already paid; posted as owed to the payer
    (a credit on its company's account until the refund goes through)."""
    from app.payments.services import payment_key

    refund = Refund(charge_id=charge.id, payment_id=payment.id, out_refund_no=_number(payment, 1),
                    amount_fen=payment.total_fee, automatic=True, status=RefundStatus.APPROVED,
                    reason="paid twice: refunded automatically")
    db.session.add(refund)
    db.session.flush()
    charged = _charged(charge.id)
    ledger.post(payment_key(payment.transaction_id), "extra_payment",
                [ledger.Line(ledger.CLEARING, payment.total_fee), _payer(charged, -payment.total_fee)],
                memo=f"{charge.number} paid twice ({payment.transaction_id})", at=payment.paid_at,
                order_id=charged.order_id if charged else None, company_id=charged.company_id if charged else None)
    send_later(refund)
    return refund


def send_later(refund: Refund) -> None:
    from app.payments.jobs import send_refund

    # No dedup key: sending is idempotent by the refund's state (and WeChat's by its number).
    jobs.after_commit(send_refund, refund.id)


def refunded_total(payment_id: int) -> int:
    """What has been sent back (or is on its way) from one payment."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
        Refund.payment_id == payment_id,
        Refund.status.in_([RefundStatus.APPROVED, RefundStatus.PROCESSING, RefundStatus.SUCCEEDED]))) or 0)


def _lock(refund_id: int) -> Refund:
    return db.session.get(Refund, refund_id, with_for_update=True, populate_existing=True)


def send(refund_id: int) -> str:
    """Send an approved refund to WeChat (again, with the same number, after a failure).

    Returns the refund's status afterwards. The claim and the answer are each committed
    on their own (the call in between cannot be rolled back): WeChat not answering, or
    short of balance (NOTENOUGH, flagged for finance), raises for the job to retry; a
    refusal that retrying cannot mend fails the refund with WeChat's reason, for a person.
    """
    from app.core.db import unit
    from app.payments.services import get_gateway

    with unit():
        refund = _lock(refund_id)
        if refund.status != RefundStatus.APPROVED:
            return refund.status.value
        # One at a time per charge: WeChat answers a second refund of an order in flight badly.
        busy = db.session.scalar(select(Refund.id).where(Refund.charge_id == refund.charge_id, Refund.id != refund.id,
                                                         Refund.status == RefundStatus.PROCESSING).limit(1))
        if busy is not None:
            raise jobs.RetryLater(f"refund {busy} of the same order is being processed")
        payment = db.session.get(Payment, refund.payment_id)
        request = gw.RefundRequest(out_refund_no=refund.out_refund_no, total_fee=payment.total_fee,
                                   refund_fee=refund.amount_fen, transaction_id=payment.transaction_id,
                                   refund_desc=refund.reason[:80])
    try:
        accepted = get_gateway().refund(request)
    except gw.GatewayUnavailable:
        raise
    except gw.GatewayRejected as e:
        retry = e.code in ("NOTENOUGH", "SYSTEMERROR", "BIZERR_NEED_RETRY", "INVALID_REQ_TOO_MUCH")
        with unit():
            refund = _lock(refund_id)
            refund.last_error = f"{e.code}: {e.message}"[:2000]
            # NOTENOUGH: the merchant's balance is short; finance sees the flag, the job retries.
            refund.needs_funds = e.code == "NOTENOUGH"
            if not retry and refund.status == RefundStatus.APPROVED:
                states.apply(REFUND_MACHINE, refund, RefundStatus.FAILED, note=e.code)
            status = refund.status.value
        if retry:
            raise jobs.RetryLater(f"refund {request.out_refund_no}: {e.code}") from None
        return status
    with unit():
        refund = _lock(refund_id)
        if refund.status == RefundStatus.APPROVED:
            refund.refund_id = accepted.refund_id
            refund.needs_funds = False
            states.apply(REFUND_MACHINE, refund, RefundStatus.PROCESSING)
            from app.payments.jobs import check_refund

            jobs.after_commit(check_refund, refund.id, key=f"refund-check:{refund.id}:{refund.attempts}", delay=30)
        return refund.status.value


def settle(refund: Refund, status: gw.RefundState, succeeded_at: datetime | None, recv_account: str | None) -> None:
    """Record what WeChat says became of a refund we sent (from a query or its notify).

    SUCCESS moves the money out of clearing and tells the owner; CHANGE (the payer's
    card was cancelled or frozen) and REFUNDCLOSE fail it for a person, and the owner
    is told too, so that the buyer hears.
    """
    from app.payments.services import owner_of

    refund.wechat_status = status.value
    if recv_account:
        refund.recv_account = recv_account[:64]
    charge = db.session.get(Charge, refund.charge_id)
    if status == gw.RefundState.SUCCESS and refund.status == RefundStatus.PROCESSING:
        states.apply(REFUND_MACHINE, refund, RefundStatus.SUCCEEDED, at=succeeded_at or utcnow())
        from app.payments.services import payment_key

        charged = _charged(refund.charge_id)
        booked = charged or ledger.entry(payment_key(db.session.get(Payment, refund.payment_id).transaction_id))
        ledger.post(f"refund:{refund.out_refund_no}", "refund",
                    [_payer(charged, refund.amount_fen), ledger.Line(ledger.CLEARING, -refund.amount_fen)],
                    memo=f"refund {refund.out_refund_no}", at=refund.settled_at,
                    order_id=booked.order_id if booked else None, company_id=booked.company_id if booked else None)
    elif status in (gw.RefundState.CHANGE, gw.RefundState.REFUNDCLOSE) and refund.status == RefundStatus.PROCESSING:
        refund.last_error = f"WeChat: {status.value}"
        states.apply(REFUND_MACHINE, refund, RefundStatus.FAILED, note=status.value)
    else:
        db.session.flush()
        return
    db.session.flush()
    handler = owner_of(charge).on_refund
    if handler is not None and not refund.automatic:
        handler(charge.owner_id, Settled(refund.id, refund.amount_fen, refund.status, dict(refund.detail or {})))


def check(refund_id: int) -> str:
    """Ask WeChat how a processing refund stands; raises RetryLater while it is processing."""
    from app.payments.services import get_gateway

    refund = _lock(refund_id)
    if refund.status != RefundStatus.PROCESSING:
        return refund.status.value
    try:
        result = get_gateway().query_refunds(out_refund_no=refund.out_refund_no)
    except gw.GatewayError as e:
        current_app.logger.info("refund %s query: %s", refund.out_refund_no, e)
        raise jobs.RetryLater(str(e)) from None
    record = next((r for r in result.refunds if r.out_refund_no == refund.out_refund_no), None)
    if record is None or record.status == gw.RefundState.PROCESSING:
        raise jobs.RetryLater(f"refund {refund.out_refund_no} still processing")
    settle(refund, record.status, record.succeeded_at, record.recv_account)
    return refund.status.value


def exceptions() -> list[Refund]:
    """Refunds a person must look at: failed at WeChat, or waiting for the merchant's balance."""
    return list(db.session.scalars(select(Refund).where(
        (Refund.status == RefundStatus.FAILED) | Refund.needs_funds.is_(True)).order_by(Refund.id)))


def refunds_of(charge_id: int) -> list[Refund]:
    return list(db.session.scalars(select(Refund).where(Refund.charge_id == charge_id).order_by(Refund.id)))
