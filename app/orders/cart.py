"""The cart: offers and quantities a buyer collects before ordering them in one payment."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from app.core.errors import DomainError, NotFound
from app.extensions import db
from app.orders.models import CartItem

MAX_ITEMS = 50


def items(user_id: int) -> list[CartItem]:
    return list(db.session.scalars(select(CartItem).where(CartItem.user_id == user_id).order_by(CartItem.id)))


def add(user_id: int, offer_id: int, quantity: int) -> CartItem:
    """Put an offer in the cart (adding to its quantity if it is there already)."""
    from app.catalog.models import Offer

    if db.session.get(Offer, offer_id) is None:
        raise NotFound(_l("There is no such offer."), "offer_id")
    item = db.session.scalar(select(CartItem).where(CartItem.user_id == user_id, CartItem.offer_id == offer_id)
                             .with_for_update())
    if item is None:
        if len(items(user_id)) >= MAX_ITEMS:
            raise DomainError(_l("The cart holds at most %(n)d offers.", n=MAX_ITEMS), "offer_id")
        item = CartItem(user_id=user_id, offer_id=offer_id, quantity=0)
        db.session.add(item)
    item.quantity = min(item.quantity + quantity, 1_000_000)
    db.session.flush()
    return item


def set_quantity(user_id: int, item_id: int, quantity: int) -> None:
    item = db.session.scalar(select(CartItem).where(CartItem.id == item_id, CartItem.user_id == user_id))
    if item is None:
        raise NotFound(_l("This is no longer in your cart."), "item")
    item.quantity = quantity
    db.session.flush()


def remove(user_id: int, item_id: int) -> None:
    db.session.execute(delete(CartItem).where(CartItem.id == item_id, CartItem.user_id == user_id))


def empty(user_id: int) -> None:
    db.session.execute(delete(CartItem).where(CartItem.user_id == user_id))
