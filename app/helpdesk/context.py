"""The customer beside the ticket: their company, who wrote, recent orders with payment and
refund states, and what an agent can do about an order (propose a refund that operations
approve). Loaded in a fixed number of queries, whatever the orders hold."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from app import payments
from app.accounts.models import Company, User
from app.core import audit
from app.core.errors import NotFound
from app.core.money import format_money
from app.extensions import db
from app.helpdesk import services
from app.helpdesk.models import Ticket

RECENT_ORDERS = 5
RECENT_TICKETS = 5


@dataclass
class OrderFacts:
    order: object
    charge: payments.Charge | None
    payment: payments.Payment | None
    refunds: list[payments.Refund] = field(default_factory=list)

    @property
    def refunds_pending(self) -> int:
        return sum(1 for r in self.refunds if r.status == payments.RefundStatus.REQUESTED)


@dataclass
class CustomerContext:
    company: Company
    requester: User
    orders: list[OrderFacts]
    tickets: list[Ticket]


def facts_for(orders: list) -> list[OrderFacts]:
    """Each order with its charge, the payment that paid it and its refunds: four queries."""
    from app.orders import queries

    charges = queries.charges(orders) if orders else {}
    ids = [c.id for c in charges.values()]
    refunds: dict[int, list[payments.Refund]] = {}
    if ids:
        for refund in db.session.scalars(select(payments.Refund).where(
                payments.Refund.charge_id.in_(ids), payments.Refund.automatic.is_(False)).order_by(payments.Refund.id)):
            refunds.setdefault(refund.charge_id, []).append(refund)
    out = []
    for order in orders:
        charge = charges.get(order.id)
        paid = next((p for p in charge.payments if not p.extra), None) if charge else None
        out.append(OrderFacts(order, charge, paid, refunds.get(charge.id, []) if charge else []))
    return out


def customer_context(ticket: Ticket) -> CustomerContext:
    """What the agent sees beside the ticket; the ticket's own order comes first."""
    from app.orders import queries, services as orders

    company = db.session.get(Company, ticket.company_id)
    requester = db.session.get(User, ticket.requester_id)
    recent = queries.page(ticket.company_id, limit=RECENT_ORDERS).orders
    if ticket.order_id is not None:
        recent = [o for o in recent if o.id != ticket.order_id]
        try:
            recent.insert(0, orders.get(ticket.order_id, ticket.company_id))
        except NotFound:
            pass
    tickets = list(db.session.scalars(select(Ticket).where(Ticket.company_id == ticket.company_id,
                                                           Ticket.id != ticket.id)
                                      .order_by(Ticket.id.desc()).limit(RECENT_TICKETS)))
    return CustomerContext(company, requester, facts_for(recent), tickets)


def order_of(ticket: Ticket, order_id: int):
    """An order of the ticket's company (NotFound for any other)."""
    from app.orders import services as orders

    return orders.get(order_id, ticket.company_id)


def refundable(facts: OrderFacts) -> int:
    from app.payments import refunds

    return refunds.refundable(facts.charge) if facts.charge is not None else 0


def propose_refund(ticket: Ticket, agent, order_id: int, *, reason: str, amount_fen: int | None = None):
    """File a refund request for the buyer (the whole order without an amount) for operations
    to approve on their desk; the ticket keeps an internal note of it. Raises DomainError
    when the order is not paid, nothing is left to refund or the amount is more than that."""
    from app.orders import aftersale

    order = order_of(ticket, order_id)
    reason = (reason or "").strip()
    refund = aftersale.request_refund(order, reason=f"{reason} [{ticket.number}]" if reason else "",
                                      requested_by_id=agent.id, amount_fen=amount_fen)
    services.add_note(ticket, agent, _("Proposed a refund of %(amount)s on order %(number)s for operations to "
                                       "approve. Reason: %(reason)s", amount=format_money(refund.amount_fen),
                                       number=order.number, reason=reason))
    audit.record(ticket, "refund_proposed", actor_id=agent.id, note=f"refund {refund.id} of order {order.number}")
    return refund
