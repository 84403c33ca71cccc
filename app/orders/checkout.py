"""One click to an order: an offer bought now, the cart checked out, a past order bought again.

Each creates the order with the buyer's default consignee through `services.create`;
without one it raises the DomainError whose code is "consignee_required", and the
page asks for the consignee and carries on. A form's one-time token makes a double
click (or a retried post) return the order the first one made instead of a second.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from app.extensions import db
from app.orders import cart, services
from app.orders.consignees import default_consignee
from app.orders.models import Order


def _key(token: str | None, lines: Sequence[tuple[int, int]], consignee_id: int | None) -> str | None:
    # The same form sent again with other lines (the page kept, a quantity changed) is a new order.
    return f"web:{token}:{services.fingerprint(lines, consignee_id)[:16]}" if token else None


def _create(buyer, company_id: int, lines: list[tuple[int, int]], token: str | None) -> Order:
    consignee = default_consignee(buyer.id)
    return services.create(buyer, company_id, lines, consignee=consignee,
                           idempotency_key=_key(token, lines, consignee.id if consignee else None))


def buy_now(buyer, company_id: int, offer_id: int, quantity: int, *, token: str | None = None) -> Order:
    """Order one offer; raises what services.create raises."""
    return _create(buyer, company_id, [(offer_id, quantity)], token)


def checkout_cart(buyer, company_id: int, *, token: str | None = None) -> Order:
    """Order everything in the buyer's cart in one order and empty the cart."""
    lines = [(item.offer_id, item.quantity) for item in cart.items(buyer.id)]
    if not lines and token:
        # An empty cart under a token already used: the first post of this form made the
        # order (and emptied the cart); a second click lands on that order.
        made = db.session.scalar(select(Order).where(
            Order.company_id == company_id, Order.buyer_id == buyer.id,
            Order.idempotency_key.startswith(f"web:{token}:", autoescape=True)))
        if made is not None:
            return made
    order = _create(buyer, company_id, lines, token)
    cart.empty(buyer.id)
    return order


def buy_again(buyer, company_id: int, order_id: int, *, token: str | None = None) -> Order:
    """A new order of a past order's offers and quantities, priced today; NotFound for another company's."""
    past = services.get(order_id, company_id)
    return _create(buyer, company_id, [(line.offer_id, line.quantity) for line in past.lines], token)
