"""What the buyer's order page and the API show of an order after payment: its refunds in the
words a buyer reads, the customs declaration of each supplier's goods with the identity
check, the shipments with carrier and tracking number, and the timeline of all of it.

Lists load these for a whole page at once (`for_orders`): two queries however many orders.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from app import payments
from app.accounts.models import User
from app.core.audit import AuditEntry
from app.core.errors import NotFound
from app.core.models import utcnow
from app.extensions import db
from app.orders import aftersale, queries, services
from app.orders.aftersale_texts import FAILED_FOR_BUYER, FAILED_OTHERWISE, refund_key
from app.orders.models import Order, OrderLine, OrderState
from app.payments import customs
from app.payments import refunds as money_back
from app.payments.models import Charge, Declaration, Refund, RefundStatus

REFUNDABLE_STATES = (OrderState.PAID, OrderState.SHIPPED, OrderState.COMPLETED)


@dataclass(frozen=True)
class RefundRow:
    id: int
    amount_fen: int
    reason: str
    state: str                   # requested, approved, processing, refunded, rejected, failed
    requested_at: datetime
    settled_at: datetime | None
    whole: bool
    lines: list[OrderLine]
    note: str | None             # why it was rejected, as the person who decided wrote it
    failure: object | None       # what a failure means for the buyer, in plain words
    wechat_status: str | None


@dataclass(frozen=True)
class CustomsRow:
    id: int
    supplier: str
    state: str                   # pending, submitted, succeeded, failed
    cert: str | None             # SAME, DIFFERENT, UNCHECKED, or None before customs answered
    explanation: str | None
    declaration: Declaration


@dataclass(frozen=True)
class Shipment:
    carrier: str
    tracking_no: str
    shipped_at: datetime
    delivered_at: datetime | None   # when its last line was delivered; None while any is on its way
    lines: list[OrderLine]


def failure_text(refund: Refund) -> object | None:
    if refund.status != RefundStatus.FAILED:
        return None
    return FAILED_FOR_BUYER.get(refund.wechat_status or "", FAILED_OTHERWISE)


def refund_rows(order: Order, refunds: Sequence[Refund]) -> list[RefundRow]:
    by_id = {line.id: line for line in order.lines}
    return [RefundRow(r.id, r.amount_fen, r.reason, refund_key(r.status.value), r.created_at, r.settled_at,
                      bool((r.detail or {}).get("whole")),
                      [by_id[i] for i in (r.detail or {}).get("lines", ()) if i in by_id],
                      r.last_error if r.status == RefundStatus.REJECTED else None, failure_text(r), r.wechat_status)
            for r in refunds if not r.automatic]


def supplier_names(order: Order) -> dict[int, str]:
    return {line.supplier_id: line.supplier_name for line in order.lines}


def customs_rows(order: Order, declarations: Sequence[Declaration]) -> list[CustomsRow]:
    names = supplier_names(order)
    return [CustomsRow(d.id, names.get(d.party_id, str(d.party_id)), d.state.value, d.cert_check_result,
                       d.explanation, d) for d in declarations]


def shipments(order: Order) -> list[Shipment]:
    """The order's shipped lines grouped by carrier and tracking number, first shipped first."""
    groups: dict[tuple[str, str], list[OrderLine]] = {}
    for line in order.lines:
        if line.shipped_at:
            groups.setdefault((line.carrier or "", line.tracking_no or ""), []).append(line)
    found = []
    for (carrier, tracking_no), lines in groups.items():
        delivered = None if any(not line.delivered_at for line in lines) else max(line.delivered_at for line in lines)
        found.append(Shipment(carrier, tracking_no, min(line.shipped_at for line in lines), delivered, lines))
    return sorted(found, key=lambda s: s.shipped_at)


def for_orders(orders: Sequence[Order], charges: dict[int, payments.Charge]) -> dict[int, tuple[list, list]]:
    """Each order's (refunds asked for, declarations) by order id: two queries for a page."""
    by_charge = {charges[o.id].id: o.id for o in orders if o.id in charges}
    found: dict[int, tuple[list, list]] = {o.id: ([], []) for o in orders}
    if not by_charge:
        return found
    for refund in db.session.scalars(select(Refund).where(Refund.charge_id.in_(by_charge), Refund.automatic.is_(False))
                                     .order_by(Refund.id)):
        found[by_charge[refund.charge_id]][0].append(refund)
    for charge_id, declared in customs.for_charges(list(by_charge)).items():
        found[by_charge[charge_id]][1].extend(declared)
    return found


def refund_and_order(refund_id: int, company_id: int | None = None, *,
                     lock: bool = False) -> tuple[Order, Refund]:
    """A refund asked for on an order, with its order (locked when `lock`); NotFound when there is
    none, or when `company_id` is given and the order is another company's."""
    row = db.session.execute(
        select(Order.id, Order.company_id).join(Charge, and_(Charge.owner_type == services.OWNER,
                                                             Charge.owner_id == Order.id))
        .join(Refund, Refund.charge_id == Charge.id).where(Refund.id == refund_id, Refund.automatic.is_(False))).first()
    if row is None or (company_id is not None and row.company_id != company_id):
        raise NotFound(_l("There is no such refund."), "refund_id")
    order = services.get(row.id, row.company_id, lock=lock)
    return order, db.session.get(Refund, refund_id)


def refund_block(order: Order, charge: payments.Charge | None, now: datetime | None = None) -> tuple[int, str | None]:
    """(what may still be refunded, why none can be asked for: "not_paid", "nothing_left" or
    "overdue"; None when the buyer may ask)."""
    if order.state == OrderState.REFUNDED:
        return 0, "nothing_left"
    if order.state not in REFUNDABLE_STATES or charge is None:
        return 0, "not_paid"
    if order.paid_at and order.paid_at + money_back.REFUNDABLE_FOR < (now or utcnow()):
        return 0, "overdue"
    left = money_back.refundable(charge)
    return left, None if left > 0 else "nothing_left"


def for_order(order: Order) -> dict:
    """What the order page shows after payment (see the module's docstring)."""
    charge = services.charge_of(order)
    refunds = money_back.refunds_of(charge.id) if charge else []
    declarations = customs.declarations_of(charge.id) if charge else []
    refundable_fen, blocked = refund_block(order, charge)
    return {"refunds": refund_rows(order, refunds), "customs": customs_rows(order, declarations),
            "shipments": shipments(order), "refundable_fen": refundable_fen, "refund_blocked": blocked,
            "refund_label": aftersale.refund_label(order)}


# --- the timeline ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    at: datetime
    action: str
    actor: str | None
    note: object | None
    amount_fen: int | None = None


# Operators' own bookkeeping on the order, which the buyer's timeline leaves out.
_NOT_FOR_BUYERS = {"customs", "requery"}
_REFUND_STEPS = {"approved": "refund_approved", "rejected": "refund_rejected", "processing": "refund_processing",
                 "succeeded": "refund_done", "failed": "refund_failed"}
_CUSTOMS_STEPS = {"submitted": "customs_submitted", "succeeded": "customs_cleared", "failed": "customs_refused"}


def _entries(refunds: Sequence[Refund], declarations: Sequence[Declaration]) -> list[AuditEntry]:
    """The recorded changes of these refunds and declarations: one query."""
    wanted = [and_(AuditEntry.subject_type == model.__tablename__, AuditEntry.subject_id.in_([r.id for r in rows]))
              for model, rows in ((Refund, refunds), (Declaration, declarations)) if rows]
    if not wanted:
        return []
    return list(db.session.scalars(select(AuditEntry).where(or_(*wanted)).order_by(AuditEntry.id)))


def timeline(order: Order) -> list[Step]:
    """The order's timeline (queries.timeline) with its refunds, customs and shipping steps."""
    charge = services.charge_of(order)
    refunds = [r for r in money_back.refunds_of(charge.id) if not r.automatic] if charge else []
    declarations = customs.declarations_of(charge.id) if charge else []
    steps = []
    for e in queries.timeline(order):
        if e.action in _NOT_FOR_BUYERS:
            continue
        # ship() records the lines it shipped (with carrier and number); the state change
        # to "shipped" says the whole order is on its way.
        action = "lines_shipped" if e.action == "shipped" and e.note else e.action
        steps.append(Step(e.at, action, e.actor, e.note))
    entries = _entries(refunds, declarations)
    ids = {e.actor_id for e in entries if e.actor_id} | {r.requested_by_id for r in refunds if r.requested_by_id}
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
    refund_by_id, suppliers = {r.id: r for r in refunds}, supplier_names(order)
    declaration_by_id = {d.id: d for d in declarations}
    for r in refunds:
        steps.append(Step(r.created_at, "refund_requested", names.get(r.requested_by_id), r.reason, r.amount_fen))
    for e in entries:
        if e.action != "state":
            continue
        if e.subject_type == Refund.__tablename__:
            refund = refund_by_id[e.subject_id]
            action = "refund_sent_again" if e.from_state == "failed" else _REFUND_STEPS.get(e.to_state)
            note = (FAILED_FOR_BUYER.get(e.note or "", FAILED_OTHERWISE) if e.to_state == "failed"
                    else e.note if e.to_state == "rejected" else None)
            if action:
                steps.append(Step(e.at, action, names.get(e.actor_id), note, refund.amount_fen))
        else:
            declaration = declaration_by_id[e.subject_id]
            action = _CUSTOMS_STEPS.get(e.to_state)
            if action and not (e.to_state == "submitted" and e.from_state == "submitted"):
                steps.append(Step(e.at, action, None, suppliers.get(declaration.party_id)))
    return sorted(steps, key=lambda s: s.at)
