"""Payments through WeChat Pay: the gateway (the only user of wechatpy), charges and their
attempts, the one apply function for notifies and polls, refunds, and callbacks.

Other domains use:
    open_charge(owner_type, owner_id, ...)   what an order is to be paid
    register_owner(app, owner_type, on_paid=..., on_closed=...)
    prepay(charge, trade_type, ...)          a QR code, a JSAPI prepay or an H5 link
    request_close(charge_id, reason)         close with WeChat first (a cancel)
    charge_for(owner_type, owner_id), payments_of, queries_of, refunds_of, callbacks_for
    charges_for(owner_type, owner_ids), out_trade_no(charge)   for lists, in a fixed number of queries
    get_gateway(), Paid, TradeType
    charged_key(charge_id), payment_key(transaction_id)   the ledger events an owner books a paid charge under
    simulator_base()                         the WeChat Pay simulator's address in development, else None
"""
from __future__ import annotations

from flask import Flask

from app.payments.gateway import TradeType
from app.payments.models import Attempt, AttemptStatus, Charge, ChargeStatus, Payment, Refund, RefundStatus
from app.payments.closing import request_close
from app.payments.queries import charges_for, out_trade_no, payments_of, queries_of
from app.payments.services import (
    Paid,
    PaymentUnavailable,
    charge_for,
    charged_key,
    get_gateway,
    new_number,
    open_charge,
    payment_key,
    prepay,
    register_owner,
    simulator_base,
)

__all__ = ["Attempt", "AttemptStatus", "Charge", "ChargeStatus", "Paid", "Payment", "PaymentUnavailable",
           "Refund", "RefundStatus", "TradeType", "charge_for", "charged_key", "charges_for", "get_gateway", "new_number", "open_charge",
           "out_trade_no", "payment_key", "payments_of", "prepay", "queries_of", "register", "register_owner", "request_close",
           "simulator_base"]


def register(app: Flask) -> None:
    from app.core.jobs import schedule
    from app.payments import jobs, views

    app.register_blueprint(views.bp)
    # Polling whose job was lost for good (dead after its retries) starts again.
    schedule(app, jobs.resume_polling, interval=180, timeout=120)
