"""Refunds: money going back to the payer, sent once with a unique out_refund_no and confirmed
by WeChat's refund query (or its refund notify).

Here: the automatic refund of a payment that should not have happened (a charge paid
twice, from two devices), and the machinery every refund uses: sending, confirming,
and the ledger entries on both sides.
"""
from __future__ import annotations

import importlib
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from app import ledger
from app.core import jobs, states
from app.core.models import utcnow
from app.extensions import db
from app.payments.models import REFUND_MACHINE, Charge, Payment, Refund, RefundStatus

# The module, not the package attribute `gateway`, which is the gateway() function.
gw = importlib.import_module("app.payments.gateway")


def _number(payment: Payment, n: int) -> str:
    return f"R{payment.transaction_id[-20:]}{n:02d}"


def refund_extra(charge: Charge, payment: Payment) -> Refund:
    """Give back a second payment of a charge already paid; posted as owed to the payer."""
    refund = Refund(charge_id=charge.id, payment_id=payment.id, out_refund_no=_number(payment, 1),
                    amount_fen=payment.total_fee, automatic=True, status=RefundStatus.APPROVED,
                    reason="paid twice: refunded automatically")
    db.session.add(refund)
    db.session.flush()
    ledger.post(f"payment:{payment.transaction_id}", "extra_payment",
                [ledger.Line(ledger.CLEARING, payment.total_fee), ledger.Line(ledger.REFUNDS_DUE, -payment.total_fee)],
                memo=f"{charge.number} paid twice ({payment.transaction_id})", at=payment.paid_at)
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

    Returns the refund's status afterwards. WeChat not answering, or short of balance
    (NOTENOUGH), raises for the job to retry; a refusal that retrying cannot mend fails
    the refund with WeChat's reason, for a person.
    """
    from app.payments.services import gateway

    refund = _lock(refund_id)
    if refund.status != RefundStatus.APPROVED:
        return refund.status.value
    payment = db.session.get(Payment, refund.payment_id)
    try:
        accepted = gateway().refund(gw.RefundRequest(
            out_refund_no=refund.out_refund_no, total_fee=payment.total_fee, refund_fee=refund.amount_fen,
            transaction_id=payment.transaction_id, refund_desc=refund.reason[:80]))
    except gw.GatewayUnavailable:
        raise
    except gw.GatewayRejected as e:
        if e.code in ("NOTENOUGH", "SYSTEMERROR", "BIZERR_NEED_RETRY", "INVALID_REQ_TOO_MUCH"):
            refund.last_error = f"{e.code}: {e.message}"
            db.session.flush()
            raise jobs.RetryLater(f"refund {refund.out_refund_no}: {e.code}") from None
        refund.last_error = f"{e.code}: {e.message}"
        states.apply(REFUND_MACHINE, refund, RefundStatus.FAILED, note=e.code)
        return refund.status.value
    refund.refund_id = accepted.refund_id
    states.apply(REFUND_MACHINE, refund, RefundStatus.PROCESSING)
    from app.payments.jobs import check_refund

    jobs.after_commit(check_refund, refund.id, key=f"refund-check:{refund.id}", delay=30)
    return refund.status.value


def settle(refund: Refund, status: gw.RefundState, succeeded_at: datetime | None, recv_account: str | None) -> None:
    """Record what WeChat says became of a refund we sent (from a query or its notify)."""
    refund.wechat_status = status.value
    if status == gw.RefundState.SUCCESS and refund.status == RefundStatus.PROCESSING:
        states.apply(REFUND_MACHINE, refund, RefundStatus.SUCCEEDED, at=succeeded_at or utcnow())
        if refund.automatic:
            ledger.post(f"refund:{refund.out_refund_no}", "refund",
                        [ledger.Line(ledger.REFUNDS_DUE, refund.amount_fen),
                         ledger.Line(ledger.CLEARING, -refund.amount_fen)],
                        memo=f"refund {refund.out_refund_no}", at=refund.settled_at)
    elif status in (gw.RefundState.CHANGE, gw.RefundState.REFUNDCLOSE) and refund.status == RefundStatus.PROCESSING:
        refund.last_error = f"WeChat: {status.value}"
        states.apply(REFUND_MACHINE, refund, RefundStatus.FAILED, note=status.value)
    db.session.flush()


def check(refund_id: int) -> str:
    """Ask WeChat how a processing refund stands; raises RetryLater while it is processing."""
    from app.payments.services import gateway

    refund = _lock(refund_id)
    if refund.status != RefundStatus.PROCESSING:
        return refund.status.value
    try:
        result = gateway().query_refunds(out_refund_no=refund.out_refund_no)
    except gw.GatewayError as e:
        current_app.logger.info("refund %s query: %s", refund.out_refund_no, e)
        raise jobs.RetryLater(str(e)) from None
    record = next((r for r in result.refunds if r.out_refund_no == refund.out_refund_no), None)
    if record is None or record.status == gw.RefundState.PROCESSING:
        raise jobs.RetryLater(f"refund {refund.out_refund_no} still processing")
    settle(refund, record.status, record.succeeded_at, record.recv_account)
    return refund.status.value


def refunds_of(charge_id: int) -> list[Refund]:
    return list(db.session.scalars(select(Refund).where(Refund.charge_id == charge_id).order_by(Refund.id)))
