"""After payment: the customs declaration of retail orders, shipping and delivery, refunds.

Retail-regime orders are declared to customs when they are paid (one sub-order per
supplier); a supplier's lines ship once customs cleared them. The order completes when
every line is delivered, or ORDER_AUTO_COMPLETE_DAYS after it shipped. Refunds are asked
for by the buyer (the whole order, some lines, or an amount), decided by operations or
platform finance, and come back through the payments' handler.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import notifications, payments
from app.core import audit, states
from app.core.errors import DomainError
from app.core.models import utcnow
from app.core.money import format_money, round_half_up
from app.extensions import db
from app.orders.models import ORDER_MACHINE, Order, OrderLine, OrderState
from app.payments import customs
from app.payments import refunds as money_back
from app.payments.models import DeclarationState, RefundStatus

SHIPPABLE = (OrderState.PAID, OrderState.SHIPPED)


def _buyer_recipient(order: Order):
    from app import accounts
    from app.accounts.models import User

    return accounts.recipient(db.session.get(User, order.buyer_id))


# --- customs ----------------------------------------------------------------------------------

def declare(order: Order) -> None:
    """Promise the customs declaration of a paid retail order: a sub-order per supplier."""
    if order.regime != "retail" or not order.consignee_id_cipher:
        return
    parts: dict[int, list[int]] = {}
    for line in order.lines:
        fees = parts.setdefault(line.supplier_id, [0, 0])
        fees[0] += line.goods_fen + line.insurance_fen
        fees[1] += line.shipping_fen
    charge = payments.charge_for("order", order.id)
    customs.declare(charge, [customs.SubOrder(sid, goods, ship) for sid, (goods, ship) in sorted(parts.items())],
                    name=order.consignee_name, cert_cipher=order.consignee_id_cipher)


def declarations(order: Order) -> list:
    charge = payments.charge_for("order", order.id)
    return customs.declarations_of(charge.id) if charge else []


def _cleared_suppliers(order: Order) -> set[int] | None:
    """The suppliers customs cleared (None: the order needs no declaration)."""
    if order.regime != "retail":
        return None
    return {d.party_id for d in declarations(order) if d.state == DeclarationState.SUCCEEDED}


def on_customs(order_id: int, outcome: customs.Outcome) -> None:
    order = db.session.get(Order, order_id)
    for party, state, cert in outcome.declarations:
        audit.record(order, "customs", note=f"supplier {party}: {state.value} (identity {cert or 'unchecked'})")


# --- shipping ----------------------------------------------------------------------------------

def _lines(order: Order, line_ids: Sequence[int]) -> list[OrderLine]:
    wanted = set(line_ids)
    chosen = [line for line in order.lines if line.id in wanted]
    if not chosen or len(chosen) != len(wanted):
        raise DomainError(_l("Choose lines of this order."), "lines", code="lines")
    return chosen


def ship(order: Order, line_ids: Sequence[int], *, carrier: str, tracking_no: str, actor_id: int) -> Order:
    """Mark lines shipped with their carrier and tracking number; the buyer gets an SMS.

    Refused when the order is not paid (or already done), a line has shipped, or customs
    has not cleared a retail line's supplier. When every line has shipped, the order has.
    """
    if order.state not in SHIPPABLE:
        raise states.IllegalTransition(ORDER_MACHINE, order, order.state, OrderState.SHIPPED,
                                       _l("Only a paid order can be shipped."))
    chosen = _lines(order, line_ids)
    if any(line.shipped_at for line in chosen):
        raise DomainError(_l("A chosen line has shipped already."), "lines", code="shipped")
    cleared = _cleared_suppliers(order)
    if cleared is not None and any(line.supplier_id not in cleared for line in chosen):
        raise DomainError(_l("Customs has not cleared these goods yet: a retail import ships once its "
                             "declaration succeeded."), "lines", code="customs_pending", status=409)
    now = utcnow()
    for line in chosen:
        line.carrier, line.tracking_no, line.shipped_at = carrier[:40], tracking_no[:40], now
    audit.record(order, "shipped", actor_id=actor_id,
                 note=f"{carrier} {tracking_no}: " + ", ".join(line.supplier_sku for line in chosen))
    if all(line.shipped_at for line in order.lines) and order.state == OrderState.PAID:
        states.apply(ORDER_MACHINE, order, OrderState.SHIPPED, actor_id=actor_id, at=now)
    db.session.flush()
    notifications.notify("order_shipped", _buyer_recipient(order), dedup_key=f"shipped:{order.id}:{tracking_no}",
                         order_no=order.number, carrier=carrier, tracking_no=tracking_no)
    return order


def deliver(order: Order, line_ids: Sequence[int], *, actor_id: int) -> Order:
    """Mark shipped lines delivered; the order completes when every line is."""
    chosen = _lines(order, line_ids)
    if any(not line.shipped_at for line in chosen):
        raise DomainError(_l("A line is delivered only after it shipped."), "lines", code="not_shipped")
    now = utcnow()
    for line in chosen:
        line.delivered_at = line.delivered_at or now
    audit.record(order, "delivered", actor_id=actor_id, note=", ".join(line.supplier_sku for line in chosen))
    if all(line.delivered_at for line in order.lines) and order.state == OrderState.SHIPPED:
        states.apply(ORDER_MACHINE, order, OrderState.COMPLETED, actor_id=actor_id, at=now, note="delivered")
    db.session.flush()
    return order


def complete_overdue(now=None) -> int:
    """Complete orders shipped ORDER_AUTO_COMPLETE_DAYS ago (the buyer did not say otherwise)."""
    now = now or utcnow()
    days = int(current_app.config.get("ORDER_AUTO_COMPLETE_DAYS", 15))
    done = 0
    for order in db.session.scalars(select(Order).where(Order.state == OrderState.SHIPPED,
                                                        Order.shipped_at < now - timedelta(days=days))
                                    .with_for_update(skip_locked=True).limit(500)):
        states.apply(ORDER_MACHINE, order, OrderState.COMPLETED, at=now, note=f"{days} days after shipping")
        done += 1
    return done


# --- refunds ----------------------------------------------------------------------------------

def request_refund(order: Order, *, reason: str, requested_by_id: int, amount_fen: int | None = None,
                   line_ids: Sequence[int] = ()) -> payments.Refund:
    """Ask for a refund of the whole order (no amount, no lines), of some lines, or of an amount.

    Raises DomainError when the order is not paid, nothing is left to refund, the amount
    is more than what is left, or the payment is over a year old.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say why you ask for a refund."), "reason", code="reason")
    if order.state not in (OrderState.PAID, OrderState.SHIPPED, OrderState.COMPLETED):
        raise DomainError(_l("Only a paid order can be refunded."), code="not_paid", status=409)
    charge = payments.charge_for("order", order.id)
    detail: dict = {}
    if line_ids:
        chosen = _lines(order, line_ids)
        amount_fen = sum(line.landed_fen for line in chosen)
        detail["lines"] = [line.id for line in chosen]
    elif amount_fen is None:
        amount_fen = money_back.refundable(charge)
        detail["whole"] = True
    return money_back.request(charge, amount_fen, reason, requested_by_id=requested_by_id, detail=detail)


def refunds(order: Order) -> list[payments.Refund]:
    charge = payments.charge_for("order", order.id)
    return [r for r in money_back.refunds_of(charge.id) if not r.automatic] if charge else []


def refund_of(order: Order, refund_id: int) -> payments.Refund:
    found = next((r for r in refunds(order) if r.id == refund_id), None)
    if found is None:
        from app.core.errors import NotFound

        raise NotFound(_l("There is no such refund."), "refund_id")
    return found


def decide(order: Order, refund_id: int, *, approve: bool, actor_id: int, note: str = "") -> payments.Refund:
    """Approve (sent after the commit) or reject (the buyer is told why) a refund request."""
    from app.orders.services import credits_for

    refund = refund_of(order, refund_id)
    if approve:
        # A refund of some lines is taken back from their suppliers and their taxes first.
        chosen = [line for line in order.lines if line.id in (refund.detail or {}).get("lines", ())]
        return money_back.approve(refund.id, actor_id=actor_id, note=note, basis=credits_for(chosen))
    if not note.strip():
        raise DomainError(_l("Say why the refund is rejected: the buyer sees it."), "note", code="note")
    refund = money_back.reject(refund.id, actor_id=actor_id, note=note.strip())
    notifications.notify("refund_rejected", _buyer_recipient(order), dedup_key=f"refund-rejected:{refund.id}",
                         order_no=order.number, amount=format_money(refund.amount_fen))
    return refund


def on_refund(order_id: int, settled: money_back.Settled) -> None:
    """A refund of the order came through (or went wrong at WeChat): the order and the buyer hear."""
    order = db.session.get(Order, order_id, with_for_update=True, populate_existing=True)
    recipient = _buyer_recipient(order)
    if settled.status != RefundStatus.SUCCEEDED:
        notifications.notify("refund_failed", recipient, dedup_key=f"refund-failed:{settled.refund_id}",
                             order_no=order.number, amount=format_money(settled.amount_fen))
        return
    order.refunded_fen += settled.amount_fen
    # Its share of the dutiable value no longer counts toward the person's yearly total.
    share = round_half_up(Decimal(order.dutiable_fen) * settled.amount_fen / order.total_fen)
    order.refunded_dutiable_fen = min(order.dutiable_fen, order.refunded_dutiable_fen + share)
    if order.refunded_fen >= order.total_fen and ORDER_MACHINE.can(order, OrderState.REFUNDED):
        states.apply(ORDER_MACHINE, order, OrderState.REFUNDED, note="refunded in full")
    db.session.flush()
    notifications.notify("refund_completed", recipient, dedup_key=f"refund-done:{settled.refund_id}",
                         order_no=order.number, amount=format_money(settled.amount_fen))


def refund_label(order: Order) -> str | None:
    """"partly refunded" / "refunded" as the order shows it, or None."""
    if order.refunded_fen <= 0:
        return None
    return "refunded" if order.refunded_fen >= order.total_fen else "partly_refunded"
