"""Read-only order queries for lists: a company's orders, newest first, paged by keyset."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import literal, select, tuple_
from sqlalchemy.orm import selectinload

from app import payments
from app.extensions import db
from app.orders.models import Order, OrderState
from app.orders.services import OWNER

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class OrderPage:
    orders: list[Order]
    more: tuple[datetime, int] | None     # where the next page starts after, None on the last


def page(company_id: int, *, state: OrderState | None = None, after: tuple[datetime, int] | None = None,
         limit: int = PAGE_SIZE) -> OrderPage:
    """One page of the company's orders (lines loaded), newest first: two queries.

    Keyset on (created_at, id), the order of the (company_id, created_at) index, so a
    page costs the same however deep it is; one row more than a page says whether
    there is a next one.
    """
    stmt = (select(Order).options(selectinload(Order.lines)).where(Order.company_id == company_id))
    if state is not None:
        stmt = stmt.where(Order.state == state)
    if after is not None:
        # Bound with the columns' own types, so SQLite compares times as it stores them.
        stmt = stmt.where(tuple_(Order.created_at, Order.id) < tuple_(literal(after[0], Order.created_at.type),
                                                                      literal(after[1], Order.id.type)))
    rows = list(db.session.scalars(stmt.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit + 1)))
    shown = rows[:limit]
    more = (shown[-1].created_at, shown[-1].id) if len(rows) > limit else None
    return OrderPage(shown, more)


def charges(orders: Sequence[Order]) -> dict[int, payments.Charge]:
    """Each order's charge by order id, with its attempts and payments: three queries."""
    return payments.charges_for(OWNER, [o.id for o in orders])
