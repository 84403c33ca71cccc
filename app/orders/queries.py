"""What the buyer's pages read: the orders list (filtered, paged by keyset), its export, an
order's timeline and payments, and the home page's panel. Each list is a fixed number of
queries, however many orders it shows."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, union_all
from sqlalchemy.orm import selectinload

from app import catalog, payments
from app.accounts.models import User
from app.core import audit, numbers
from app.core.models import utcnow
from app.extensions import db
from app.orders import services
from app.orders.consignees import default_with_year
from app.orders.models import Order, OrderState
from app.orders.texts import STATE_LABELS

CHINA = ZoneInfo("Asia/Shanghai")
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
EXPORT_LIMIT = 10_000
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Filters:
    state: OrderState | None = None
    start: date | None = None      # Beijing days, both included
    end: date | None = None
    before: int | None = None      # keyset: orders older than this id

    def args(self, **changes: object) -> dict[str, str]:
        """As query parameters (for links that keep the filters)."""
        values = {"state": self.state.value if self.state else None, "from": self.start, "to": self.end,
                  "before": self.before, **changes}
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def _day(raw: str) -> date:
    if not _DAY.fullmatch(raw):
        raise ValueError
    return date.fromisoformat(raw)


def parse_filters(args: Mapping[str, str]) -> tuple[Filters, dict[str, str]]:
    """Filters from the query string; a bad one is left out and explained in `errors`."""
    errors: dict[str, str] = {}
    state = start = end = before = None
    raw_state = (args.get("state") or "").strip()
    if raw_state:
        try:
            state = OrderState(raw_state)
        except ValueError:
            errors["state"] = str(_l("Choose a state from the list."))
    for name in ("from", "to"):
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                day = _day(raw)
            except ValueError:
                errors[name] = str(_l("Enter a date such as 2026-01-31."))
                continue
            start, end = (day, end) if name == "from" else (start, day)
    if start and end and start > end:
        errors["to"] = str(_l("The end date is before the start date."))
        end = None
    raw_before = (args.get("before") or "").strip()
    if raw_before:
        try:
            before = numbers.parse_int(raw_before, 1)
        except numbers.NumberError:
            before = None  # a stale or tampered page link: start from the newest
    return Filters(state, start, end, before), errors


def _filtered(company_id: int, f: Filters):
    return narrowed(select(Order).where(Order.company_id == company_id), f)


def narrowed(stmt, f: Filters):
    """`stmt` (a select of orders) limited to the filters' state and Beijing days."""
    if f.state:
        stmt = stmt.where(Order.state == f.state)
    if f.start:
        stmt = stmt.where(Order.created_at >= datetime.combine(f.start, time(), CHINA))
    if f.end:
        stmt = stmt.where(Order.created_at < datetime.combine(f.end + timedelta(days=1), time(), CHINA))
    return stmt


def orders_page(company_id: int, f: Filters, limit: int = PAGE_SIZE) -> tuple[list[Order], int | None]:
    """Up to `limit` orders, newest first, with their lines (two queries), and the id to
    continue from (None on the last page)."""
    stmt = _filtered(company_id, f)
    if f.before:
        stmt = stmt.where(Order.id < f.before)
    found = list(db.session.scalars(stmt.options(selectinload(Order.lines)).order_by(Order.id.desc()).limit(limit + 1)))
    more = len(found) > limit
    found = found[:limit]
    return found, (found[-1].id if more else None)


def orders_for_export(company_id: int, f: Filters) -> list[Order]:
    stmt = _filtered(company_id, f).options(selectinload(Order.lines)).order_by(Order.id.desc())
    return list(db.session.scalars(stmt.limit(EXPORT_LIMIT)))


@dataclass(frozen=True)
class OrderPage:
    orders: list[Order]
    more: tuple[datetime, int] | None     # where the next page starts after, None on the last


def page(company_id: int, *, state: OrderState | None = None, after: tuple[datetime, int] | None = None,
         limit: int = PAGE_SIZE) -> OrderPage:
    """One page of the company's orders (lines loaded), newest first, for the API: the
    list page's query (two statements, keyset on id) with a (created_at, id) position."""
    found, more = orders_page(company_id, Filters(state=state, before=after[1] if after else None), limit)
    return OrderPage(found, (found[-1].created_at, found[-1].id) if more else None)


def charges(orders: Sequence[Order]) -> dict[int, payments.Charge]:
    """Each order's charge by order id, with its attempts and payments: three queries."""
    return payments.charges_for(services.OWNER, [o.id for o in orders])


# --- one order ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Event:
    at: datetime
    action: str          # "placed", a state ("paid", "closed") or a recorded action ("closing")
    actor: str | None
    note: str | None


def timeline(order: Order) -> list[Event]:
    """What happened to the order, oldest first: placed, then each change and who made it."""
    charge = services.charge_of(order)
    entries = audit.history(order)
    if charge is not None:
        # The charge's own state changes repeat the order's; its recorded actions (a close
        # WeChat has not allowed yet) are news.
        entries += [e for e in audit.history(charge) if e.action != "state"]
    ids = {e.actor_id for e in entries if e.actor_id} | {order.buyer_id}
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    events = [Event(order.created_at, "placed", names.get(order.buyer_id), None)]
    events += [Event(e.at, e.to_state if e.action == "state" else e.action, names.get(e.actor_id), e.note)
               for e in entries]
    return sorted(events, key=lambda e: e.at)


def payments_of(order: Order) -> list[payments.Payment]:
    charge = services.charge_of(order)
    return payments.payments_of(charge.id) if charge is not None else []


# --- the home page ----------------------------------------------------------------------------

HOME_ORDERS = 5


def home_panel(user) -> dict | None:
    """What needs the buyer now: orders waiting for payment, recent orders, and the default
    consignee's cross-border retail purchases this year against the yearly limit."""
    company_id = getattr(user, "company_id", None)
    if company_id is None:
        return None
    now = utcnow()
    newest = select(Order.id).where(Order.company_id == company_id).order_by(Order.id.desc()).limit(HOME_ORDERS)
    unpaid = newest.where(Order.state == OrderState.PENDING_PAYMENT, Order.expires_at > now)
    # One statement for both lists: an order waiting for payment may be older than the newest five.
    # Each limited part is a subquery of its own, as SQLite (the development database) wants.
    ids = union_all(*(select(part.subquery().c.id) for part in (newest, unpaid)))
    shown = list(db.session.scalars(select(Order).where(Order.id.in_(ids)).order_by(Order.id.desc())))
    awaiting = [o for o in shown if o.state == OrderState.PENDING_PAYMENT and o.expires_at > now]
    consignee, used = default_with_year(user.id, catalog.today(), now)
    return {"awaiting": awaiting, "recent": shown[:HOME_ORDERS], "consignee": consignee,
            "used_fen": used, "annual_limit_fen": catalog.RETAIL_ANNUAL_LIMIT_FEN, "labels": STATE_LABELS}
