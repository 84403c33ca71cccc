"""Charges, their attempts at WeChat Pay, payments received, refunds, and every callback and
query, kept as received.

A Charge is what one order owes; each way of paying it (a QR code, JSAPI in WeChat, H5)
is an Attempt with its own out_trade_no, since WeChat refuses one number with other
parameters. Money arrives as a Payment, at most once per WeChat transaction id.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import states
from app.core.models import TimestampMixin, utcnow
from app.extensions import db
from app.payments.gateway import TradeType


def _values(e: type[enum.Enum]) -> list[str]:
    return [m.value for m in e]


class ChargeStatus(str, enum.Enum):
    OPEN = "open"
    PAID = "paid"
    CLOSED = "closed"


class AttemptStatus(str, enum.Enum):
    OPEN = "open"
    PAID = "paid"
    CLOSED = "closed"


class RefundStatus(str, enum.Enum):
    REQUESTED = "requested"     # asked for, waiting for a person to approve
    APPROVED = "approved"       # to be sent to WeChat
    REJECTED = "rejected"
    PROCESSING = "processing"   # WeChat accepted it; money on its way back
    SUCCEEDED = "succeeded"
    FAILED = "failed"           # closed or abnormal at WeChat: a person must act


# A payment that arrives for a closed charge is never lost: closed → paid.
CHARGE_MACHINE = states.Machine.of("charge", {
    ChargeStatus.OPEN: {ChargeStatus.PAID, ChargeStatus.CLOSED},
    ChargeStatus.CLOSED: {ChargeStatus.PAID},
}, stamps={ChargeStatus.PAID: "paid_at", ChargeStatus.CLOSED: "closed_at"})

ATTEMPT_MACHINE = states.Machine.of("payment_attempt", {
    AttemptStatus.OPEN: {AttemptStatus.PAID, AttemptStatus.CLOSED},
    AttemptStatus.CLOSED: {AttemptStatus.PAID},
}, stamps={AttemptStatus.CLOSED: "closed_at"})

REFUND_MACHINE = states.Machine.of("refund", {
    RefundStatus.REQUESTED: {RefundStatus.APPROVED, RefundStatus.REJECTED},
    RefundStatus.APPROVED: {RefundStatus.PROCESSING, RefundStatus.FAILED},
    RefundStatus.PROCESSING: {RefundStatus.SUCCEEDED, RefundStatus.FAILED},
    RefundStatus.FAILED: {RefundStatus.APPROVED},
}, stamps={RefundStatus.SUCCEEDED: "settled_at"})

TRADE_TYPE = Enum(TradeType, name="trade_type", values_callable=_values)


class Charge(TimestampMixin, db.Model):
    """What one owner (an order) is to be paid, in fen; paid once, however many attempts."""

    __tablename__ = "charges"
    __table_args__ = (UniqueConstraint("owner_type", "owner_id", name="uq_charges_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(30))
    owner_id: Mapped[int]
    number: Mapped[str] = mapped_column(String(24), unique=True)   # the base of every out_trade_no
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    body: Mapped[str] = mapped_column(String(127))
    status: Mapped[ChargeStatus] = mapped_column(
        Enum(ChargeStatus, name="charge_status", values_callable=_values), default=ChargeStatus.OPEN)
    expires_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Set when the owner asked to stop taking payment (a cancel) but WeChat cannot close yet.
    closing_since: Mapped[datetime | None]

    attempts: Mapped[list[Attempt]] = relationship(back_populates="charge", order_by="Attempt.id")
    payments: Mapped[list[Payment]] = relationship(back_populates="charge", order_by="Payment.id")


class Attempt(TimestampMixin, db.Model):
    """One out_trade_no at WeChat: a prepay of one trade type for a charge."""

    __tablename__ = "payment_attempts"
    __table_args__ = (Index("ix_payment_attempts_status_charge", "status", "charge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    charge_id: Mapped[int] = mapped_column(ForeignKey("charges.id", ondelete="CASCADE"), index=True)
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    trade_type: Mapped[TradeType] = mapped_column(TRADE_TYPE)
    status: Mapped[AttemptStatus] = mapped_column(
        Enum(AttemptStatus, name="payment_attempt_status", values_callable=_values), default=AttemptStatus.OPEN)
    prepay_id: Mapped[str | None] = mapped_column(String(64))
    code_url: Mapped[str | None] = mapped_column(String(200))
    mweb_url: Mapped[str | None] = mapped_column(String(500))
    openid: Mapped[str | None] = mapped_column(String(64))
    client_ip: Mapped[str | None] = mapped_column(String(45))
    prepay_expires_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    polls: Mapped[int] = mapped_column(default=0)
    last_polled_at: Mapped[datetime | None]
    last_trade_state: Mapped[str | None] = mapped_column(String(20))

    charge: Mapped[Charge] = relationship(back_populates="attempts")


class Payment(db.Model):
    """Money WeChat Pay took from a payer: one row per transaction id, amounts as received."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    charge_id: Mapped[int] = mapped_column(ForeignKey("charges.id"), index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("payment_attempts.id"))
    transaction_id: Mapped[str] = mapped_column(String(32), unique=True)
    total_fee: Mapped[int] = mapped_column(BigInteger)
    cash_fee: Mapped[int] = mapped_column(BigInteger)
    coupon_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    settlement_total_fee: Mapped[int | None] = mapped_column(BigInteger)
    fee_type: Mapped[str] = mapped_column(String(3))
    trade_type: Mapped[str] = mapped_column(String(16))
    bank_type: Mapped[str] = mapped_column(String(32), default="")
    openid: Mapped[str] = mapped_column(String(64), default="")
    paid_at: Mapped[datetime | None]
    received_via: Mapped[str] = mapped_column(String(10))        # "notify" or "query"
    # A second payment of a charge already paid (two devices): it is refunded.
    extra: Mapped[bool] = mapped_column(default=False)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    charge: Mapped[Charge] = relationship(back_populates="payments")


class Refund(TimestampMixin, db.Model):
    """Money going back to a payer; sent with a unique out_refund_no a retry reuses."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    charge_id: Mapped[int] = mapped_column(ForeignKey("charges.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    out_refund_no: Mapped[str] = mapped_column(String(64), unique=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200))
    automatic: Mapped[bool] = mapped_column(default=False)
    status: Mapped[RefundStatus] = mapped_column(
        Enum(RefundStatus, name="refund_status", values_callable=_values), default=RefundStatus.REQUESTED)
    refund_id: Mapped[str | None] = mapped_column(String(64))
    wechat_status: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
    settled_at: Mapped[datetime | None]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What the owner asked for (an order's lines), kept with the refund for its pages.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # WeChat said the merchant's balance is short (NOTENOUGH): finance must top it up.
    needs_funds: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    recv_account: Mapped[str | None] = mapped_column(String(64))


class Callback(db.Model):
    """A payment or refund notify exactly as it arrived, stored before it is processed."""

    __tablename__ = "payment_callbacks"
    __table_args__ = (Index("ix_payment_callbacks_out_trade_no", "out_trade_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))                 # "payment" or "refund"
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    remote_addr: Mapped[str | None] = mapped_column(String(45))
    body: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20), default="received")
    detail: Mapped[str | None] = mapped_column(Text)
    out_trade_no: Mapped[str | None] = mapped_column(String(32))
    transaction_id: Mapped[str | None] = mapped_column(String(32))


class Query(db.Model):
    """One orderquery we made and what it answered: the polling history of an attempt."""

    __tablename__ = "payment_queries"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("payment_attempts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(String(20))               # poll, expiry, close, sweep, ops
    trade_state: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(String(500))


class DeclarationState(str, enum.Enum):
    PENDING = "pending"         # to be sent to customs
    SUBMITTED = "submitted"     # customs has it (SUBMITTED / PROCESSING at WeChat)
    SUCCEEDED = "succeeded"
    FAILED = "failed"           # FAIL or EXCEPT: a person re-declares or refunds


DECLARATION_MACHINE = states.Machine.of("customs_declaration", {
    DeclarationState.PENDING: {DeclarationState.SUBMITTED, DeclarationState.FAILED},
    DeclarationState.SUBMITTED: {DeclarationState.SUCCEEDED, DeclarationState.FAILED, DeclarationState.SUBMITTED},
    DeclarationState.FAILED: {DeclarationState.SUBMITTED},
}, attribute="state")


class Declaration(TimestampMixin, db.Model):
    """A paid charge's declaration to customs, one per sub-order (per supplier of the order)."""

    __tablename__ = "customs_declarations"
    __table_args__ = (UniqueConstraint("charge_id", "sub_order_no", name="uq_customs_declarations_sub_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    charge_id: Mapped[int] = mapped_column(ForeignKey("charges.id"), index=True)
    sub_order_no: Mapped[str] = mapped_column(String(32))
    party_id: Mapped[int]                                      # the owner's key for it (a supplier)
    customs: Mapped[str] = mapped_column(String(20))
    mch_customs_no: Mapped[str] = mapped_column(String(20))
    product_fee: Mapped[int] = mapped_column(BigInteger)
    transport_fee: Mapped[int] = mapped_column(BigInteger)
    duty: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[DeclarationState] = mapped_column(
        Enum(DeclarationState, name="customs_declaration_state", values_callable=_values),
        default=DeclarationState.PENDING)
    wechat_state: Mapped[str | None] = mapped_column(String(20))
    cert_check_result: Mapped[str | None] = mapped_column(String(20))   # UNCHECKED, SAME, DIFFERENT
    sub_order_id: Mapped[str | None] = mapped_column(String(64))
    explanation: Mapped[str | None] = mapped_column(String(200))
    declared_times: Mapped[int] = mapped_column(default=0)
    checked_at: Mapped[datetime | None]
    # Who customs checks against the payer: the name, and the identity number encrypted.
    buyer_name: Mapped[str] = mapped_column(String(40), default="")
    cert_cipher: Mapped[str | None] = mapped_column(String(200))
    # A person asked to declare it again (after customs refused it).
    resend: Mapped[bool] = mapped_column(default=False)
