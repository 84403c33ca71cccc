"""The order desk's own actions: what operators and platform finance do to any company's order
beyond deciding refunds and shipping (aftersale.py): ask WeChat Pay again whether an order
was paid, declare a refused customs declaration again, and send again a refund WeChat Pay
failed or held back. Each is audited and refused, with the reason, when the order's state
does not allow it.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import audit
from app.core.errors import DomainError, NotFound
from app.extensions import db
from app.orders import aftersale, services
from app.orders.models import Order, OrderState
from app.payments import customs
from app.payments import refunds as money_back
from app.payments import services as pay
from app.payments.models import Declaration, Refund, RefundStatus

UNPAID = (OrderState.PENDING_PAYMENT, OrderState.CLOSED)


def order(order_id: int, *, lock: bool = False) -> Order:
    """Any company's order (the desk serves them all); NotFound when there is none."""
    company_id = db.session.scalar(select(Order.company_id).where(Order.id == order_id))
    if company_id is None:
        raise NotFound(_l("There is no such order."), "order_id")
    return services.get(order_id, company_id, lock=lock)


def requery_payment(order: Order, *, actor_id: int) -> str:
    """Ask WeChat Pay how each payment attempt of an unpaid order stands, through the same
    apply function a notify uses: a payment it reports is recorded and the order is paid.

    Returns "paid", "not_paid" or "no_answer". Raises DomainError when the order's payment
    is recorded already, or no payment was ever started at WeChat Pay.
    """
    if order.state not in UNPAID:
        raise DomainError(_l("This order's payment is recorded already: there is nothing to ask WeChat Pay "
                             "about. Its polling history and notifies are below."), code="already_paid", status=409)
    charge = services.charge_of(order)
    attempts = [a for a in charge.attempts if a.prepay_id] if charge else []
    if not attempts:
        raise DomainError(_l("No payment was started at WeChat Pay for this order: there is nothing to ask about."),
                          code="no_attempt", status=409)
    answers = [(a.out_trade_no, pay.query(a, "ops")) for a in attempts]
    db.session.refresh(order)
    outcome = ("paid" if order.state not in UNPAID else
               "no_answer" if all(status is None for _, status in answers) else "not_paid")
    audit.record(order, "requery", actor_id=actor_id, note="; ".join(
        f"{number}: {status.trade_state.value if status else 'no answer'}" for number, status in answers))
    db.session.flush()
    return outcome


def declaration_of(order: Order, declaration_id: int) -> Declaration:
    found = next((d for d in aftersale.declarations(order) if d.id == declaration_id), None)
    if found is None:
        raise NotFound(_l("There is no such declaration."), "declaration_id")
    return found


def redeclare(order: Order, declaration_id: int, *, actor_id: int, mch_customs_no: str | None = None,
              duty: int | None = None, transport_fee: int | None = None) -> Declaration:
    """Declare a sub-order customs refused again (see customs.redeclare); audited there."""
    declaration = declaration_of(order, declaration_id)
    return customs.redeclare(declaration.id, actor_id=actor_id, mch_customs_no=mch_customs_no, duty=duty,
                             transport_fee=transport_fee)


def refund_of(order: Order, refund_id: int) -> Refund:
    """A refund of the order's charge, including one made automatically for a second payment."""
    charge = services.charge_of(order)
    found = db.session.get(Refund, refund_id) if charge else None
    if found is None or found.charge_id != charge.id:
        raise NotFound(_l("There is no such refund."), "refund_id")
    return found


def retry_refund(order: Order, refund_id: int, *, actor_id: int) -> Refund:
    """Send a refund WeChat Pay failed (CHANGE, REFUNDCLOSE, a refusal) again, under a new number."""
    return money_back.retry(refund_of(order, refund_id).id, actor_id=actor_id)


def send_refund_now(order: Order, refund_id: int, *, actor_id: int) -> Refund:
    """Send an approved refund that waits (for the merchant's balance, say) now, not at its next retry."""
    refund = refund_of(order, refund_id)
    if refund.status != RefundStatus.APPROVED:
        raise DomainError(_l("Only an approved refund waiting to be sent can be sent now."), code="not_waiting",
                          status=409)
    audit.record(refund, "send_now", actor_id=actor_id, note=refund.last_error)
    money_back.send_later(refund)
    db.session.flush()
    return refund
